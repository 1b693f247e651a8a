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

nlohmann::json parse_json_strict(const std::string& text, const std::string& where) {
  using nlohmann::json;
  std::vector<std::set<std::string>> keys;  // of each object being read, innermost last
  std::string duplicate;
  const json::parser_callback_t check = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      keys.pop_back();
    } else if (event == json::parse_event_t::key && !keys.empty()) {
      if (!keys.back().insert(parsed.get<std::string>()).second && duplicate.empty())
        duplicate = parsed.get<std::string>();
    }
    return true;
  };
  json value;
  try {
    value = json::parse(text, check);
  } catch (const json::parse_error& e) {
    throw std::runtime_error(where + ": not valid JSON (" + e.what() + ")");
  }
  if (!duplicate.empty())
    throw std::runtime_error(where + ": the key " + gem::quoted_excerpt(duplicate) +
                             " appears twice in one object; keep one of them");
  return value;
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read " + path.string());
  return parse_json_strict(text.str(), path.string());
}

std::vector<nlohmann::json> read_json_lines(const std::filesystem::path& path) {
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
