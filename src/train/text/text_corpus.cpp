#include "src/train/text/text_corpus.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "src/train/data/file_bytes.h"
#include "src/train/text/brown_corpus.h"
#include "src/train/text/utf8.h"

namespace gem::train {
namespace {

namespace fs = std::filesystem;

std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

bool hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

TextDocument read_document(const fs::path& file, std::string name) {
  const std::vector<uint8_t> bytes = read_file_bytes(file);
  if (bytes.empty())
    throw std::runtime_error(file.string() + " is empty; remove it or put text in it");
  TextDocument doc{std::move(name), std::string(bytes.begin(), bytes.end())};
  check_utf8(doc.text, file.string());
  return doc;
}

// A file is one document; a folder gives every regular non-hidden file below it (hidden folders
// such as .git are skipped too), sorted by relative path so the order does not depend on the
// file system.
std::vector<TextDocument> read_documents(const fs::path& path, const std::string& missing_hint) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw std::runtime_error(path.string() + " does not exist; " + missing_hint);
  if (!fs::is_directory(path, ec)) return {read_document(path, path.filename().string())};
  std::vector<std::pair<std::string, fs::path>> files;
  for (auto it = fs::recursive_directory_iterator(path); it != fs::recursive_directory_iterator(); ++it) {
    if (hidden(it->path())) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) files.emplace_back(fs::relative(it->path(), path).generic_string(), it->path());
  }
  if (files.empty())
    throw std::runtime_error("folder " + path.string() + " has no files (hidden ones are skipped); " + missing_hint);
  std::sort(files.begin(), files.end());
  std::vector<TextDocument> docs;
  docs.reserve(files.size());
  for (auto& [name, file] : files) docs.push_back(read_document(file, name));
  return docs;
}

int64_t total_bytes(const std::vector<TextDocument>& docs) {
  int64_t n = 0;
  for (const auto& d : docs) n += static_cast<int64_t>(d.text.size());
  return n;
}

// Where the last `fraction` of the lines begins: ceil(fraction * lines) lines, at most all but one.
size_t validation_cut(const std::string& text, double fraction) {
  std::vector<size_t> line_starts{0};
  for (size_t i = 0; i + 1 < text.size(); ++i)
    if (text[i] == '\n') line_starts.push_back(i + 1);
  const auto lines = static_cast<int64_t>(line_starts.size());
  const auto wanted = static_cast<int64_t>(std::ceil(static_cast<double>(lines) * fraction - 1e-9));
  const int64_t val_lines = std::min(lines - 1, wanted);
  return val_lines <= 0 ? text.size() : line_starts[static_cast<size_t>(lines - val_lines)];
}

void split_documents(std::vector<TextDocument> docs, double f, const std::string& source, TextSplit& split) {
  const auto n = static_cast<int64_t>(docs.size());
  const std::string percent = format_number(100 * f) + "%";
  if (n >= static_cast<int64_t>(std::ceil(1 / f - 1e-9))) {
    for (int64_t i = 0; i < n; ++i) {
      const bool val = std::floor(static_cast<double>(i + 1) * f) > std::floor(static_cast<double>(i) * f);
      (val ? split.val : split.train).push_back(std::move(docs[static_cast<size_t>(i)]));
    }
    split.train_source = source + ": " + std::to_string(split.train.size()) + " of " + std::to_string(n) + " documents";
    split.val_source = source + ": " + std::to_string(split.val.size()) + " of " + std::to_string(n) +
                       " documents (" + percent + ", evenly spread)";
    return;
  }
  for (auto& doc : docs) {
    const size_t cut = validation_cut(doc.text, f);
    if (cut < doc.text.size()) split.val.push_back({doc.name, doc.text.substr(cut)});
    doc.text.resize(cut);
    split.train.push_back(std::move(doc));
  }
  const std::string docs_word = n == 1 ? "the document" : "each of " + std::to_string(n) + " documents";
  split.train_source = source + ": all but the last " + percent + " of the lines of " + docs_word;
  split.val_source = source + ": the last " + percent + " of the lines of " + docs_word;
}

}  // namespace

std::filesystem::path default_python_docs_dir() { return "/usr/share/doc/python3.11/html/_sources"; }

void check_utf8(std::string_view text, const std::string& source) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_at(text, i).second;
    if (len == 0) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(text[i]));
      throw std::runtime_error(source + " is not valid UTF-8: byte " + byte + " at offset " + std::to_string(i) +
                               " does not start a well-formed character; convert the file to UTF-8 (e.g. iconv -f "
                               "latin1 -t utf-8) or remove it");
    }
    i += len;
  }
}

TextSplit load_text_corpus(const TextCorpusOptions& options) {
  const double f = options.val_fraction;
  if (!(f > 0 && f <= 0.5))
    throw std::invalid_argument("val_fraction must be in (0, 0.5], got " + format_number(f));
  fs::path train_path = options.train_path;
  std::string source, missing_hint;
  if (options.corpus == "python-docs") {
    if (train_path.empty()) train_path = default_python_docs_dir();
    source = "python-docs (" + train_path.string() + ")";
    missing_hint =
        "install the corpus with `apt-get install python3.11-doc` (scripts/setup.sh does), or train on your own "
        "text with corpus text and --data-dir";
  } else if (options.corpus == "text") {
    if (train_path.empty())
      throw std::invalid_argument("corpus text needs a training file or folder (--data-dir)");
    source = "text (" + train_path.string() + ")";
    missing_hint = "give a UTF-8 text file or a folder of them";
  } else if (options.corpus == "brown") {
    if (!options.val_path.empty())
      throw std::invalid_argument("corpus brown splits its own samples by genre; leave val_data empty");
    if (train_path.empty()) train_path = default_brown_dir();
    source = "brown (" + train_path.string() + ")";
  } else {
    throw std::invalid_argument("unknown text corpus '" + options.corpus + "'; use python-docs, brown or text");
  }

  TextSplit split;
  if (options.corpus == "brown") {
    split = load_brown(train_path, f);
  } else if (options.val_path.empty()) {
    split_documents(read_documents(train_path, missing_hint), f, source, split);
  } else {
    split.train = read_documents(train_path, missing_hint);
    split.val = read_documents(options.val_path, "give a UTF-8 validation file or folder, or leave it empty to "
                                                 "split validation text from the training documents");
    split.train_source = source + ": " + std::to_string(split.train.size()) + " documents";
    split.val_source = "text (" + options.val_path.string() + "): " + std::to_string(split.val.size()) + " documents";
  }
  split.train_bytes = total_bytes(split.train);
  split.val_bytes = total_bytes(split.val);
  if (split.train_bytes == 0)
    throw std::runtime_error("the training split of " + source + " is empty; give more text or a smaller val_fraction");
  if (split.val_bytes == 0)
    throw std::runtime_error("the validation split of " + source +
                             " is empty (every document has a single line); give more text, a larger val_fraction "
                             "or a validation file");
  return split;
}

}  // namespace gem::train
