// The subword tokenizer of the language models: SentencePiece (unigram or BPE) trained on the
// training split, so token ids are learned from the same text the models see, or GPT-2's own
// byte-level BPE read from its files (gpt2_bpe.h), so perplexities are in GPT-2's tokens.
// SentencePiece training takes tens of seconds, so the model is cached under a fingerprint of
// (text, options, format) and reused until either changes. Encoding is lossless:
// decode(encode(s)) == s for every UTF-8 s (any bytes with GPT-2's).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "src/train/text/text_corpus.h"

namespace gem::train {

class SentencePieceModel;  // sentencepiece_api.h
class Gpt2Bpe;             // gpt2_bpe.h

struct TokenizerOptions {
  int64_t vocab_size = 8000;           // SentencePiece only (GPT-2's is its files')
  std::string model_type = "unigram";  // SentencePiece: "unigram" or "bpe"; "gpt2": GPT-2's own
  std::filesystem::path gpt2_dir;      // gpt2: encoder.json + vocab.bpe or vocab.json + merges.txt
  std::filesystem::path cache_dir;     // empty: default_cache_dir()
};

/// $GEM_CACHE_DIR, else $XDG_CACHE_HOME/gem, else $HOME/.cache/gem. Throws std::runtime_error
/// when none of them is set.
std::filesystem::path default_cache_dir();

class Tokenizer {
 public:
  /// Loads <cache_dir>/tokenizer-<fingerprint>/ when it exists, else trains on `train` (one
  /// sentence per non-empty line, in memory) and publishes that folder atomically (a temporary
  /// folder renamed into place, so a killed run leaves no half cache). Logs which and how long.
  /// Throws std::invalid_argument for bad options, std::runtime_error when SentencePiece cannot
  /// train that vocabulary on this text or the cached folder cannot be read (delete it).
  static Tokenizer train_or_load(const std::vector<TextDocument>& train, const TokenizerOptions& options,
                                 std::ostream& log);
  /// A model written by train_or_load; the fingerprint comes from the meta.json beside it, or is
  /// the hash of the model file when there is none.
  static Tokenizer load(const std::filesystem::path& model_file);
  /// GPT-2's tokenizer from its files in `dir` (Gpt2Bpe::load's errors).
  static Tokenizer gpt2(const std::filesystem::path& dir);
  /// train_or_load, or gpt2 when options.model_type is "gpt2".
  static Tokenizer from_options(const std::vector<TextDocument>& train, const TokenizerOptions& options,
                                std::ostream& log);

  /// Lines are encoded separately and each "\n" becomes newline_id().
  std::vector<int32_t> encode(std::string_view text) const;
  /// Inverse of encode; throws std::invalid_argument for an id outside [0, vocab_size()).
  std::string decode(const std::vector<int32_t>& ids) const;

  int64_t vocab_size() const { return vocab_size_; }
  /// "<mask>" for BERT masking: a control symbol, so the text "<mask>" is never encoded as it.
  /// -1 for GPT-2's tokenizer, which has none.
  int32_t mask_id() const { return mask_id_; }
  /// The user-defined symbol "\n" (GPT-2: its token for a lone line break).
  int32_t newline_id() const { return newline_id_; }
  /// What follows each document in the token stream: newline_id(), or GPT-2's <|endoftext|>.
  int32_t document_end_id() const { return document_end_id_; }
  /// "sentencepiece" or "gpt2".
  std::string kind() const { return bpe_ ? "gpt2" : "sentencepiece"; }
  /// Hex hash of (training text, options, format version): the cache key.
  const std::string& fingerprint() const { return fingerprint_; }
  const std::filesystem::path& model_file() const { return model_file_; }

 private:
  Tokenizer(std::shared_ptr<const SentencePieceModel> sp, std::filesystem::path model_file, std::string fingerprint);
  explicit Tokenizer(std::shared_ptr<const Gpt2Bpe> bpe, std::filesystem::path dir);
  void encode_line(std::string_view line, std::vector<int32_t>& ids) const;

  std::shared_ptr<const SentencePieceModel> sp_;  // immutable: copies share it
  std::shared_ptr<const Gpt2Bpe> bpe_;            // instead of sp_ for GPT-2's tokenizer
  std::filesystem::path model_file_;
  std::string fingerprint_;
  int64_t vocab_size_ = 0;
  int32_t mask_id_ = 0, newline_id_ = 0, document_end_id_ = 0;
  std::array<int32_t, 3> space_symbol_bytes_{};  // byte pieces of U+2581, which SentencePiece decodes as " "
};

}  // namespace gem::train
