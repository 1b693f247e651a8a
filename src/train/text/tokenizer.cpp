#include "src/train/text/tokenizer.h"

#include <stdlib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <stdexcept>

#include "src/train/data/file_bytes.h"
#include "src/train/text/content_hash.h"
#include "src/train/text/gpt2_bpe.h"
#include "src/train/text/sentencepiece_api.h"

namespace gem::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Bump when the way training text is fed to SentencePiece changes (its settings are hashed too).
constexpr const char* kFormat = "gem-tokenizer-1";
constexpr const char* kMaskPiece = "<mask>";
constexpr const char* kNewlinePiece = "\n";
constexpr const char* kSpaceSymbol = "\xE2\x96\x81";  // U+2581, SentencePiece's visible space
constexpr const char* kModelFileName = "tokenizer.model";
constexpr const char* kMetaFileName = "meta.json";
// <unk>, <mask>, the newline and 256 byte pieces are in every vocabulary.
constexpr int64_t kFixedPieces = 259;
constexpr int64_t kMaxVocab = 1 << 20;
// SentencePiece skips longer sentences; longer lines are cut into pieces of at most this size.
constexpr size_t kMaxSentenceBytes = 4192;
// The unigram EM sums per-thread partial counts, so the model depends on the thread count: it
// is fixed for determinism. Unigram, 8000 pieces, python-docs training split: about 21 s.
constexpr int kTrainingThreads = 2;
// Larger corpora train on an evenly spaced subset of this many sentences (python-docs has
// about 195k): training time and memory grow about linearly with the sentences. Chosen here,
// not by SentencePiece's own sampling, whose generator is seeded once per thread and would make
// a second training in the same process differ.
constexpr size_t kMaxTrainingSentences = 1000000;

// A training sentence: a line (or a kMaxSentenceBytes piece of a long one). Lines get a leading
// space, as encode() gives them, so words at the start of a line are the same pieces as inside.
struct Sentence {
  std::string_view text;
  bool line_start;
};

std::vector<Sentence> training_sentences(const std::vector<TextDocument>& docs) {
  std::vector<Sentence> out;
  for (const auto& doc : docs) {
    const std::string_view text = doc.text;
    size_t pos = 0;
    while (pos < text.size()) {
      const size_t end = std::min(text.find('\n', pos), text.size());
      std::string_view line = text.substr(pos, end - pos);
      bool line_start = true;
      while (!line.empty()) {
        size_t take = std::min(line.size(), kMaxSentenceBytes - 1);
        // Cut at a space, else at a character boundary, so no piece splits a UTF-8 sequence.
        if (take < line.size()) {
          const size_t space = line.rfind(' ', take);
          if (space != std::string_view::npos && space > take / 2) {
            take = space;
          } else {
            while (take > 1 && (static_cast<unsigned char>(line[take]) & 0xC0) == 0x80) --take;
          }
        }
        out.push_back({line.substr(0, take), line_start});
        line.remove_prefix(take);
        line_start = false;
      }
      pos = end + 1;
    }
  }
  if (out.size() > kMaxTrainingSentences) {
    std::vector<Sentence> subset;
    subset.reserve(kMaxTrainingSentences);
    const size_t n = out.size();
    for (size_t k = 0; k < kMaxTrainingSentences; ++k) subset.push_back(out[k * n / kMaxTrainingSentences]);
    out = std::move(subset);
  }
  return out;
}

std::vector<std::string> sentence_texts(const std::vector<Sentence>& sentences) {
  std::vector<std::string> out;
  out.reserve(sentences.size());
  for (const Sentence& s : sentences) out.push_back((s.line_start ? " " : "") + std::string(s.text));
  return out;
}

// Lossless settings: no normalisation (identity), spaces kept as they are, no implicit dummy
// prefix (encode adds its own, so decode knows what to strip), and characters outside the
// vocabulary as UTF-8 byte pieces instead of <unk>. Whitespace-only pieces let indentation be
// one token (python-docs, 8000 pieces: 0.34 -> 0.27 tokens per byte).
std::map<std::string, std::string> sentencepiece_settings(const TokenizerOptions& o) {
  return {{"model_type", o.model_type},
          {"vocab_size", std::to_string(o.vocab_size)},
          {"normalization_rule_name", "identity"},
          {"remove_extra_whitespaces", "false"},
          {"add_dummy_prefix", "false"},
          {"byte_fallback", "true"},
          {"allow_whitespace_only_pieces", "true"},
          {"split_digits", "false"},
          {"character_coverage", "0.9995"},
          {"unk_id", "0"},
          {"bos_id", "-1"},
          {"eos_id", "-1"},
          {"pad_id", "-1"},
          {"control_symbols", kMaskPiece},
          {"user_defined_symbols", kNewlinePiece},
          {"hard_vocab_limit", "true"},
          {"input_sentence_size", "0"},
          {"shuffle_input_sentence", "false"},
          {"max_sentence_length", std::to_string(kMaxSentenceBytes)},
          {"num_threads", std::to_string(kTrainingThreads)}};
}

void check_options(const TokenizerOptions& o) {
  if (o.model_type != "unigram" && o.model_type != "bpe")
    throw std::invalid_argument("tokenizer model_type must be unigram or bpe, got '" + o.model_type + "'");
  if (o.vocab_size <= kFixedPieces)
    throw std::invalid_argument("tokenizer vocab_size " + std::to_string(o.vocab_size) + " is too small: " +
                                std::to_string(kFixedPieces) +
                                " pieces are fixed (256 bytes, <unk>, <mask>, newline) and the characters of the "
                                "text come on top; use 400 or more (default 8000)");
  if (o.vocab_size > kMaxVocab)
    throw std::invalid_argument("tokenizer vocab_size " + std::to_string(o.vocab_size) + " is too large; use at most " +
                                std::to_string(kMaxVocab));
}

std::string fingerprint_of(const std::vector<TextDocument>& train, const std::map<std::string, std::string>& settings) {
  ContentHash h;
  h.add(kFormat).add_u64(kMaxTrainingSentences);
  for (const auto& [key, value] : settings) h.add(key).add(value);
  h.add_u64(train.size());
  for (const auto& doc : train) h.add(doc.text);
  return h.hex();
}

std::string read_text_file(const fs::path& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

void write_text_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string seconds_text(double s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(s < 10 ? 2 : 1) << s << " s";
  return out.str();
}

// Removes a temporary folder unless it was published.
struct TempDir {
  fs::path path;
  ~TempDir() {
    if (path.empty()) return;
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

fs::path make_temp_dir(const fs::path& parent, const std::string& stem) {
  std::string pattern = (parent / (stem + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data()))
    throw std::runtime_error("cannot create a temporary folder in " + parent.string() + ": " + std::strerror(errno) +
                             "; set GEM_CACHE_DIR to a writable folder");
  return pattern;
}

std::shared_ptr<const SentencePieceModel> model_from(const std::string& model_proto, const std::string& source) {
  std::string error;
  std::unique_ptr<SentencePieceModel> model = sentencepiece_api().load(model_proto, &error);
  if (!model) throw std::runtime_error(source + " is not a SentencePiece model: " + error);
  return model;
}

}  // namespace

fs::path default_cache_dir() {
  const auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  if (!env("GEM_CACHE_DIR").empty()) return env("GEM_CACHE_DIR");
  if (!env("XDG_CACHE_HOME").empty()) return fs::path(env("XDG_CACHE_HOME")) / "gem";
  if (!env("HOME").empty()) return fs::path(env("HOME")) / ".cache" / "gem";
  throw std::runtime_error("no cache folder: set GEM_CACHE_DIR (or XDG_CACHE_HOME or HOME)");
}

Tokenizer::Tokenizer(std::shared_ptr<const SentencePieceModel> sp, fs::path model_file, std::string fingerprint)
    : sp_(std::move(sp)), model_file_(std::move(model_file)), fingerprint_(std::move(fingerprint)) {
  const std::string source = model_file_.string();
  vocab_size_ = sp_->piece_size();
  mask_id_ = sp_->piece_to_id(kMaskPiece);
  newline_id_ = sp_->piece_to_id(kNewlinePiece);
  document_end_id_ = newline_id_;
  if (!sp_->is_control(mask_id_) || sp_->id_to_piece(newline_id_) != kNewlinePiece)
    throw std::runtime_error(source + " is not a gem tokenizer (no <mask> control symbol or newline symbol); train "
                                      "one with Tokenizer::train_or_load");
  for (int k = 0; k < 3; ++k) {
    char piece[8];
    std::snprintf(piece, sizeof piece, "<0x%02X>", static_cast<unsigned char>(kSpaceSymbol[k]));
    space_symbol_bytes_[static_cast<size_t>(k)] = sp_->piece_to_id(piece);
    if (!sp_->is_byte(space_symbol_bytes_[static_cast<size_t>(k)]))
      throw std::runtime_error(source + " has no byte pieces; gem tokenizers are trained with byte_fallback");
  }
  const std::string probe = "  Lossless?\t x = [1,  2] \xE2\x96\x81 \xC3\xA9\xE6\x97\xA5 \n\n end ";
  if (decode(encode(probe)) != probe)
    throw std::runtime_error(source + " does not encode text losslessly (normalisation or whitespace settings); "
                                      "train it with Tokenizer::train_or_load");
}

Tokenizer::Tokenizer(std::shared_ptr<const Gpt2Bpe> bpe, fs::path dir)
    : bpe_(std::move(bpe)), model_file_(std::move(dir)), fingerprint_(bpe_->fingerprint()) {
  vocab_size_ = bpe_->vocab_size();
  mask_id_ = -1;
  const std::vector<int32_t> newline = bpe_->encode("\n");
  newline_id_ = newline.size() == 1 ? newline[0] : -1;
  if (newline_id_ < 0)
    throw std::runtime_error(model_file_.string() + ": GPT-2's vocabulary has no token for a line break");
  const int32_t end = bpe_->id_of("<|endoftext|>");
  document_end_id_ = end >= 0 ? end : newline_id_;
}

Tokenizer Tokenizer::gpt2(const fs::path& dir) { return Tokenizer(std::make_shared<Gpt2Bpe>(Gpt2Bpe::load(dir)), dir); }

Tokenizer Tokenizer::from_options(const std::vector<TextDocument>& train, const TokenizerOptions& options,
                                  std::ostream& log) {
  if (options.model_type != "gpt2") return train_or_load(train, options, log);
  Tokenizer t = gpt2(options.gpt2_dir);
  log << "tokenizer: " << t.bpe_->describe() << ", vocabulary " << t.vocab_size() << "\n";
  return t;
}

Tokenizer Tokenizer::train_or_load(const std::vector<TextDocument>& train, const TokenizerOptions& options,
                                   std::ostream& log) {
  check_options(options);
  sentencepiece_api();  // a missing module is its own error, not "the cache cannot be read"
  const fs::path cache_dir = options.cache_dir.empty() ? default_cache_dir() : options.cache_dir;
  const auto settings = sentencepiece_settings(options);
  const std::string fingerprint = fingerprint_of(train, settings);
  const fs::path dir = cache_dir / ("tokenizer-" + fingerprint);
  const std::string what = options.model_type + " tokenizer (" + std::to_string(options.vocab_size) + " pieces)";
  const auto start = Clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };

  std::error_code ec;
  if (fs::exists(dir, ec)) {
    nlohmann::json meta;
    try {
      meta = nlohmann::json::parse(read_text_file(dir / kMetaFileName));
      if (meta.value("fingerprint", "") != fingerprint)
        throw std::runtime_error("meta.json has fingerprint " + meta.value("fingerprint", "(none)"));
      Tokenizer t(model_from(read_text_file(dir / kModelFileName), (dir / kModelFileName).string()),
                  dir / kModelFileName, fingerprint);
      log << "tokenizer: loaded the cached " << what << " from " << dir.string() << " in " << seconds_text(elapsed())
          << " (training took " << seconds_text(meta.value("seconds", 0.0)) << ")\n";
      return t;
    } catch (const std::exception& e) {
      throw std::runtime_error("the cached tokenizer " + dir.string() + " cannot be read (" + e.what() +
                               "); delete that folder to train the tokenizer again");
    }
  }

  const std::vector<Sentence> sentences = training_sentences(train);
  int64_t bytes = 0;
  for (const auto& doc : train) bytes += static_cast<int64_t>(doc.text.size());
  std::map<std::string, std::string> flags = settings;
  flags["minloglevel"] = "1";  // SentencePiece's progress lines off, its warnings on
  std::string model_proto;
  const std::string error = sentencepiece_api().train(flags, sentence_texts(sentences), &model_proto);
  if (!error.empty())
    throw std::runtime_error("SentencePiece cannot train a " + what + " on " + std::to_string(sentences.size()) +
                             " lines (" + std::to_string(bytes) + " bytes): " + error +
                             "; choose a vocab_size that fits the text (more than the characters it uses plus " +
                             std::to_string(kFixedPieces) + ", fewer than the distinct pieces it has) or give more text");
  const double seconds = elapsed();

  fs::create_directories(cache_dir, ec);
  if (ec)
    throw std::runtime_error("cannot create the cache folder " + cache_dir.string() + ": " + ec.message() +
                             "; set GEM_CACHE_DIR to a writable folder");
  TempDir temp{make_temp_dir(cache_dir, ".tokenizer-" + fingerprint)};
  write_text_file(temp.path / kModelFileName, model_proto);
  const nlohmann::json meta = {{"format", kFormat},
                               {"fingerprint", fingerprint},
                               {"model_type", options.model_type},
                               {"vocab_size", options.vocab_size},
                               {"training_documents", train.size()},
                               {"training_bytes", bytes},
                               {"training_sentences", sentences.size()},
                               {"seconds", seconds},
                               {"sentencepiece", settings}};
  write_text_file(temp.path / kMetaFileName, meta.dump(2) + "\n");
  fs::rename(temp.path, dir, ec);
  if (!ec) {
    temp.path.clear();
  } else if (!fs::exists(dir / kMetaFileName)) {  // else another process published the same model first
    throw std::runtime_error("cannot move " + temp.path.string() + " to " + dir.string() + ": " + ec.message());
  }
  Tokenizer t(model_from(model_proto, (dir / kModelFileName).string()), dir / kModelFileName, fingerprint);
  log << "tokenizer: trained a " << what << " on " << sentences.size() << " lines (" << bytes << " bytes) in "
      << seconds_text(seconds) << ", cached in " << dir.string() << "\n";
  return t;
}

Tokenizer Tokenizer::load(const fs::path& model_file) {
  const std::string model_proto = read_text_file(model_file);
  std::string fingerprint = ContentHash().add(model_proto).hex();
  const fs::path meta_file = model_file.parent_path() / kMetaFileName;
  std::error_code ec;
  if (fs::exists(meta_file, ec)) {
    try {
      fingerprint = nlohmann::json::parse(read_text_file(meta_file)).value("fingerprint", fingerprint);
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error(meta_file.string() + " is not valid JSON (" + e.what() + "); delete it or its folder");
    }
  }
  return Tokenizer(model_from(model_proto, model_file.string()), model_file, fingerprint);
}

void Tokenizer::encode_line(std::string_view line, std::vector<int32_t>& ids) const {
  if (line.empty()) return;
  // SentencePiece decodes its space symbol U+2581 as " ", so a literal one in the text is
  // encoded as its three byte pieces, which decode as themselves.
  std::string segment = " ";  // the leading space of a line (see training_sentences)
  std::vector<int> piece_ids;
  size_t pos = 0;
  while (true) {
    const size_t found = line.find(kSpaceSymbol, pos);
    segment.append(line.substr(pos, found == std::string_view::npos ? std::string_view::npos : found - pos));
    if (!segment.empty()) {
      const std::string error = sp_->encode(segment, &piece_ids);
      if (!error.empty()) throw std::runtime_error("SentencePiece cannot encode text: " + error);
      ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
    }
    if (found == std::string_view::npos) break;
    ids.insert(ids.end(), space_symbol_bytes_.begin(), space_symbol_bytes_.end());
    segment.clear();
    pos = found + 3;
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
  if (bpe_) return bpe_->encode(text);  // line breaks are GPT-2's own tokens
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  size_t pos = 0;
  while (true) {
    const size_t end = text.find('\n', pos);
    encode_line(text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos), ids);
    if (end == std::string_view::npos) break;
    ids.push_back(newline_id_);
    pos = end + 1;
  }
  return ids;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  if (bpe_) return bpe_->decode(ids);
  std::string text, line;
  std::vector<int> segment;
  const auto flush = [&] {
    line.clear();
    const std::string error = sp_->decode(segment, &line);
    if (!error.empty()) throw std::runtime_error("SentencePiece cannot decode: " + error);
    text.append(!line.empty() && line[0] == ' ' ? line.substr(1) : line);
    segment.clear();
  };
  for (const int32_t id : ids) {
    if (id < 0 || id >= vocab_size_)
      throw std::invalid_argument("token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                  std::to_string(vocab_size_) + ")");
    if (id == newline_id_) {
      flush();
      text.push_back('\n');
    } else {
      segment.push_back(id);
    }
  }
  flush();
  return text;
}

}  // namespace gem::train
