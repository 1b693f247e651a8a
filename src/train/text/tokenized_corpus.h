// Both splits of the corpus as token ids, the form the language models train on. Tokenizing
// python-docs takes seconds, so the ids are cached beside the tokenizer as raw int32 files and
// checked when loaded; a damaged cache is rebuilt rather than trusted.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "src/train/text/text_corpus.h"
#include "src/train/text/tokenizer.h"

namespace gem::train {

struct TokenizedCorpus {
  // 1-D int64 token ids: the documents concatenated, each followed by tokenizer.document_end_id().
  torch::Tensor train, val;
  std::string fingerprint;  // hash of the tokenizer fingerprint and both splits' text: the cache key
};

/// The ids of `split`, from <cache_dir>/tokenizer-<tokenizer fingerprint>/tokens-<key>-{train,val}.i32
/// (or <cache_dir>/tokens-<key>-* when that folder does not hold the tokenizer) when they are
/// there and valid, else tokenized (documents in parallel) and written there atomically. A cache
/// file of the wrong size, with an id outside the vocabulary or not matching its checksum is
/// reported on `log` as a warning and rebuilt. Empty cache_dir: default_cache_dir().
TokenizedCorpus tokenize_corpus(const TextSplit& split, const Tokenizer& tokenizer,
                                const std::filesystem::path& cache_dir, std::ostream& log);

/// The documents' ids concatenated, each document followed by document_end_id() (no cache).
std::vector<int32_t> tokenize_documents(const std::vector<TextDocument>& docs, const Tokenizer& tokenizer);

}  // namespace gem::train
