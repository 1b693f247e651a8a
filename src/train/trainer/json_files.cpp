#include "src/train/trainer/json_files.h"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gem/quoted.h"
#include "src/support/atomic_file.h"

namespace gem::train {

void write_text_atomically(const std::filesystem::path& path, const std::string& text) {
  gem::support::write_file_atomically(path, text);
}

void write_json_atomically(const std::filesystem::path& path, const nlohmann::json& value) {
  write_text_atomically(path, value.dump(2) + "\n");
}

void write_json_lines_atomically(const std::filesystem::path& path, const std::vector<nlohmann::json>& lines) {
  std::string text;
  for (const auto& line : lines) text += line.dump() + "\n";
  write_text_atomically(path, text);
}

void check_regular_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::symlink_status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw std::runtime_error("cannot open " + path.string() + ": no such file");
  if (std::filesystem::is_symlink(status))
    throw std::runtime_error(path.string() + " is a symbolic link; gem reads and writes the files of a run folder "
                             "themselves (remove the link)");
  if (!std::filesystem::is_regular_file(status))
    throw std::runtime_error(path.string() + " is not a regular file (a folder, a FIFO or a device)");
}

namespace {

// Deeper than any file of gem's (recipes, summaries, metrics nest 3 levels); a value nested
// hundreds of thousands of levels deep would overflow the stack when destroyed or printed.
constexpr int kMaxDepth = 64;

struct TooDeep {};

}  // namespace

nlohmann::json parse_json_strict(const std::string& text, const std::string& where) {
  using nlohmann::json;
  std::vector<std::set<std::string>> keys;  // of each object being read, innermost last
  std::string duplicate;
  int depth = 0;
  const json::parser_callback_t check = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) {
      if (++depth > kMaxDepth) throw TooDeep{};
      if (event == json::parse_event_t::object_start) keys.emplace_back();
    } else if (event == json::parse_event_t::object_end || event == json::parse_event_t::array_end) {
      --depth;
      if (event == json::parse_event_t::object_end) keys.pop_back();
    } else if (event == json::parse_event_t::key && !keys.empty()) {
      if (!keys.back().insert(parsed.get<std::string>()).second && duplicate.empty())
        duplicate = parsed.get<std::string>();
    }
    return true;
  };
  json value;
  try {
    value = json::parse(text, check);
  } catch (const TooDeep&) {
    throw std::runtime_error(where + ": nested deeper than " + std::to_string(kMaxDepth) +
                             " levels; no file of gem's is, so this one is not");
  } catch (const json::exception& e) {  // syntax, and numbers out of range (1e999)
    throw std::runtime_error(where + ": not valid JSON (" + excerpt(e.what(), 300) + ")");
  }
  if (!duplicate.empty())
    throw std::runtime_error(where + ": the key " + gem::quoted_excerpt(duplicate) +
                             " appears twice in one object; keep one of them");
  return value;
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  check_regular_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read " + path.string());
  return parse_json_strict(text.str(), path.string());
}

std::vector<nlohmann::json> read_json_lines(const std::filesystem::path& path) {
  check_regular_file(path);
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::vector<nlohmann::json> lines;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    lines.push_back(parse_json_strict(line, path.string() + ":" + std::to_string(number)));
  }
  return lines;
}

}  // namespace gem::train
