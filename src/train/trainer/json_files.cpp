#include "src/train/trainer/json_files.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

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

nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error(path.string() + ": not valid JSON (" + e.what() + ")");
  }
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
    try {
      lines.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::parse_error& e) {
      throw std::runtime_error(path.string() + ":" + std::to_string(number) + ": not valid JSON (" + e.what() + ")");
    }
  }
  return lines;
}

}  // namespace gem::train
