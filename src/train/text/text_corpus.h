// English text for the language models: the Debian python3.11-doc reStructuredText sources
// (12 MB, installed by scripts/setup.sh) or the user's own files, read as UTF-8 documents and
// split deterministically into training and validation parts, so every run and every machine
// sees the same split without storing it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace gem::train {

struct TextDocument {
  std::string name;  // path relative to the folder it was found in, or the file name
  std::string text;  // valid UTF-8, not empty
};

struct TextCorpusOptions {
  // "python-docs": the Debian corpus; "brown": the Brown Corpus (brown_corpus.h); "text": the user's files
  std::string corpus = "python-docs";
  // text: a file or a folder (every regular non-hidden file below it, recursively, sorted by
  // relative path); python-docs, brown: empty means default_python_docs_dir(), default_brown_dir().
  std::filesystem::path train_path;
  std::filesystem::path val_path;  // optional validation file or folder; empty: split from training
  double val_fraction = 0.05;      // in (0, 0.5]; used only when val_path is empty
};

struct TextSplit {
  std::vector<TextDocument> train, val;
  std::string train_source, val_source;  // where each part came from, for logs and summaries
  int64_t train_bytes = 0, val_bytes = 0;
};

/// /usr/share/doc/python3.11/html/_sources (Debian package python3.11-doc).
std::filesystem::path default_python_docs_dir();

/// Reads the corpus and splits it. Without val_path: with at least ceil(1 / val_fraction)
/// documents, document i (sorted order) is a validation document when
/// floor((i + 1) f) > floor(i f) (every 20th for f = 0.05); with fewer, the last ceil(f * lines)
/// lines of each document (cut at a line boundary, at least one line left for training) are.
/// Throws std::invalid_argument for an unknown corpus or val_fraction outside (0, 0.5], and
/// std::runtime_error for a missing path, a folder without files, an empty file, a file that is
/// not UTF-8 (with the byte offset) or an empty split, each saying what to do.
TextSplit load_text_corpus(const TextCorpusOptions& options);

/// Throws std::runtime_error naming `source` and the byte offset of the first byte that is not
/// part of a well-formed UTF-8 sequence (overlong forms, surrogates and > U+10FFFF included).
void check_utf8(std::string_view text, const std::string& source);

}  // namespace gem::train
