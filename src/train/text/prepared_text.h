// A text dataset ready for the language models: the corpus split (text_corpus.h), the
// SentencePiece tokenizer trained on its training part (tokenizer.h), both parts as token ids
// (tokenized_corpus.h) and the unigram baseline (unigram.h). Tokenizer and ids come from the
// cache when corpus and settings are unchanged.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>

#include "src/train/text/text_corpus.h"
#include "src/train/text/tokenized_corpus.h"
#include "src/train/text/tokenizer.h"

namespace gem::train {

struct TextDataOptions {
  TextCorpusOptions corpus;
  TokenizerOptions tokenizer;
};

struct PreparedText {
  Tokenizer tokenizer;
  TokenizedCorpus tokens;
  double unigram_perplexity = 0;  // of the validation tokens under the training tokens' unigram model
  std::string train_source, val_source;
  int64_t train_bytes = 0, val_bytes = 0;
};

/// Loads the corpus, trains or loads the tokenizer, tokenizes (or loads the ids); logs each step.
/// Throws std::runtime_error for missing or bad files, with what to do.
PreparedText prepare_text(const TextDataOptions& options, std::ostream& log);

/// A key naming everything prepare_text depends on (for the per-process cache).
std::string cache_key(const TextDataOptions& options);

}  // namespace gem::train
