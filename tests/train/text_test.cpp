// The text layer of the language models: corpus loading and splitting, the SentencePiece
// tokenizer (lossless round trip, cache, fingerprints), cached token ids, batch windows and
// masking, and the unigram baseline. Tokenizers here are tiny (a few hundred pieces on generated
// text) so each trains in well under a second.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "src/train/data/rng.h"
#include "src/train/text/text_corpus.h"
#include "src/train/text/token_windows.h"
#include "src/train/text/tokenized_corpus.h"
#include "src/train/text/tokenizer.h"
#include "src/train/text/unigram.h"
#include "train/data_files.h"

namespace gem::train {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::error_of;
using testing::fresh_dir;

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Pseudo-English: words from syllables, sentences with punctuation, indented "code" lines and
// blank lines, a few accented words; deterministic in `seed`.
std::string generated_text(int lines, uint64_t seed) {
  static const char* const kSyllables[] = {"the", "in", "ex", "pre", "con", "tion", "al", "ing", "ed", "ob", "ject",
                                           "list", "re", "turn", "val", "ue", "mod", "ule", "func", "de", "fine",
                                           "str", "py", "thon", "é", "da", "ta", "set", "get", "file"};
  SplitMix64 rng(seed);
  std::string text;
  for (int l = 0; l < lines; ++l) {
    if (rng.below(7) == 0) {
      text += "\n";
      continue;
    }
    if (rng.below(4) == 0) text += std::string(4 * (1 + rng.below(3)), ' ');
    const int words = 3 + static_cast<int>(rng.below(10));
    for (int w = 0; w < words; ++w) {
      if (w) text += rng.below(9) == 0 ? ", " : " ";
      const int syllables = 1 + static_cast<int>(rng.below(3));
      for (int s = 0; s < syllables; ++s) text += kSyllables[rng.below(std::size(kSyllables))];
      if (rng.below(12) == 0) text += "()";
    }
    text += rng.below(3) == 0 ? ":\n" : ".\n";
  }
  return text;
}

std::vector<TextDocument> generated_documents(int count, int lines, uint64_t seed) {
  std::vector<TextDocument> docs;
  for (int i = 0; i < count; ++i)
    docs.push_back({"doc" + std::to_string(i) + ".txt", generated_text(lines, seed * 1000 + static_cast<uint64_t>(i))});
  return docs;
}

/// A split of generated documents, its byte counts filled in.
TextSplit generated_split(std::vector<TextDocument> train, std::vector<TextDocument> val) {
  TextSplit split;
  split.train = std::move(train);
  split.val = std::move(val);
  for (const auto& d : split.train) split.train_bytes += static_cast<int64_t>(d.text.size());
  for (const auto& d : split.val) split.val_bytes += static_cast<int64_t>(d.text.size());
  return split;
}

TokenizerOptions tiny_options(const fs::path& cache, int64_t vocab = 400) {
  TokenizerOptions o;
  o.vocab_size = vocab;
  o.cache_dir = cache;
  return o;
}

Tokenizer tiny_tokenizer(const fs::path& cache, std::ostream& log) {
  return Tokenizer::train_or_load(generated_documents(4, 500, 1), tiny_options(cache), log);
}

int count_entries(const fs::path& dir, const std::string& prefix) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0) ++n;
  return n;
}

std::vector<int64_t> as_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous().to(torch::kLong);
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

// ---- Corpus ---------------------------------------------------------------------------------

TEST(TextCorpus, ManyDocumentsSplitEvenlyDisjointAndDeterministically) {
  const auto dir = fresh_dir("text_many_docs");
  for (int i = 0; i < 40; ++i)  // names sort as 00..39; half in a subfolder
    write_text(dir / (i % 2 ? "sub" : "") / ((i < 10 ? "0" : "") + std::to_string(i) + ".txt"),
               "document " + std::to_string(i) + "\nsecond line\n");
  write_text(dir / ".hidden.txt", "not read");
  write_text(dir / ".git" / "config", "not read either");
  TextCorpusOptions o;
  o.corpus = "text";
  o.train_path = dir;
  o.val_fraction = 0.1;
  const TextSplit a = load_text_corpus(o), b = load_text_corpus(o);
  ASSERT_EQ(a.train.size() + a.val.size(), 40u);
  ASSERT_EQ(a.val.size(), 4u);  // documents 9, 19, 29, 39 in sorted order
  // Sorted: 00.txt 02.txt .. 38.txt sub/01.txt .. sub/39.txt; validation: positions 9, 19, 29, 39.
  std::vector<std::string> val_names;
  for (const auto& d : a.val) val_names.push_back(d.name);
  EXPECT_EQ(val_names, (std::vector<std::string>{"18.txt", "38.txt", "sub/19.txt", "sub/39.txt"}));
  std::set<std::string> names;
  for (const auto* part : {&a.train, &a.val})
    for (const auto& d : *part) {
      EXPECT_TRUE(names.insert(d.name).second) << d.name << " is in both parts";
      EXPECT_THAT(d.text, HasSubstr("document "));
    }
  EXPECT_EQ(names.size(), 40u);
  int64_t train_bytes = 0;
  for (const auto& d : a.train) train_bytes += static_cast<int64_t>(d.text.size());
  EXPECT_EQ(a.train_bytes, train_bytes);
  ASSERT_EQ(b.val.size(), a.val.size());
  for (size_t i = 0; i < a.val.size(); ++i) EXPECT_EQ(a.val[i].name, b.val[i].name);
  EXPECT_THAT(a.val_source, HasSubstr("4 of 40 documents"));
}

TEST(TextCorpus, FewDocumentsSplitAtLineBoundaries) {
  const auto dir = fresh_dir("text_few_docs");
  std::string text;
  for (int i = 0; i < 100; ++i) text += "line " + std::to_string(i) + "\n";
  write_text(dir / "book.txt", text);
  TextCorpusOptions o;
  o.corpus = "text";
  o.train_path = dir / "book.txt";
  const TextSplit s = load_text_corpus(o);  // val_fraction 0.05: the last 5 of 100 lines
  ASSERT_EQ(s.train.size(), 1u);
  ASSERT_EQ(s.val.size(), 1u);
  EXPECT_EQ(s.train[0].name, "book.txt");
  EXPECT_EQ(s.train[0].text + s.val[0].text, text);
  EXPECT_EQ(s.val[0].text, "line 95\nline 96\nline 97\nline 98\nline 99\n");
  EXPECT_EQ(s.train_bytes + s.val_bytes, static_cast<int64_t>(text.size()));
}

TEST(TextCorpus, ValidationPathIsUsedAsIs) {
  const auto dir = fresh_dir("text_val_path");
  write_text(dir / "train.txt", "a\nb\n");
  write_text(dir / "val.txt", "c\n");
  TextCorpusOptions o;
  o.corpus = "text";
  o.train_path = dir / "train.txt";
  o.val_path = dir / "val.txt";
  const TextSplit s = load_text_corpus(o);
  ASSERT_EQ(s.train.size(), 1u);
  ASSERT_EQ(s.val.size(), 1u);
  EXPECT_EQ(s.train[0].text, "a\nb\n");
  EXPECT_EQ(s.val[0].text, "c\n");
}

TEST(TextCorpus, ErrorsSayWhatWasWrongAndWhatToDo) {
  const auto dir = fresh_dir("text_errors");
  TextCorpusOptions o;
  o.corpus = "text";
  o.train_path = dir / "missing.txt";
  EXPECT_THAT(error_of([&] { load_text_corpus(o); }), HasSubstr("missing.txt does not exist"));

  TextCorpusOptions docs;
  docs.train_path = dir / "no-python-docs";
  EXPECT_THAT(error_of([&] { load_text_corpus(docs); }), HasSubstr("apt-get install python3.11-doc"));

  fs::create_directories(dir / "empty-folder");
  write_text(dir / "empty-folder" / ".only-hidden", "x");
  o.train_path = dir / "empty-folder";
  EXPECT_THAT(error_of([&] { load_text_corpus(o); }), HasSubstr("has no files"));

  write_text(dir / "empty.txt", "");
  o.train_path = dir / "empty.txt";
  EXPECT_THAT(error_of([&] { load_text_corpus(o); }), HasSubstr("empty.txt is empty"));

  const std::vector<std::pair<std::string, std::string>> bad_utf8 = {
      {"abc\xC3(", "offset 3"},           // lead byte without continuation
      {"ok\n\xC0\xAF", "offset 3"},        // overlong '/'
      {"x\xED\xA0\x80", "offset 1"},       // UTF-16 surrogate
      {"\xF4\x90\x80\x80", "offset 0"},    // above U+10FFFF
      {"tail\xE2\x82", "offset 4"},        // truncated at the end
      {"\x80 stray", "byte 0x80 at offset 0"}};
  for (const auto& [bytes, where] : bad_utf8) {
    write_text(dir / "latin.txt", bytes);
    o.train_path = dir / "latin.txt";
    const std::string e = error_of([&] { load_text_corpus(o); });
    EXPECT_THAT(e, HasSubstr("latin.txt is not valid UTF-8"));
    EXPECT_THAT(e, HasSubstr(where));
  }
  write_text(dir / "good.txt", "é 日本 🙂 \xEF\xBF\xBD\n second line\n");
  EXPECT_NO_THROW(check_utf8(read_bytes(dir / "good.txt"), "good.txt"));

  write_text(dir / "one-line.txt", "a single line\n");
  o.train_path = dir / "one-line.txt";
  EXPECT_THAT(error_of([&] { load_text_corpus(o); }), HasSubstr("validation split"));

  o.train_path = dir / "good.txt";
  o.corpus = "wiki";
  EXPECT_THROW(load_text_corpus(o), std::invalid_argument);
  o.corpus = "text";
  for (double f : {0.0, -0.1, 0.6, std::nan("")}) {
    o.val_fraction = f;
    EXPECT_THROW(load_text_corpus(o), std::invalid_argument) << f;
  }
}

TEST(TextCorpus, PythonDocsSplitsAboutFivePercent) {
  if (!fs::exists(default_python_docs_dir())) GTEST_SKIP() << "python3.11-doc is not installed (scripts/setup.sh)";
  const TextSplit s = load_text_corpus(TextCorpusOptions{});
  const size_t n = s.train.size() + s.val.size();
  EXPECT_GT(n, 400u);
  EXPECT_EQ(s.val.size(), n / 20);
  EXPECT_GT(s.train_bytes, 10 * s.val_bytes);
  for (const auto& d : s.val) EXPECT_THAT(d.name, HasSubstr(".rst.txt"));
}

// ---- Tokenizer ------------------------------------------------------------------------------

TEST(TextTokenizer, RoundTripsNastyStrings) {
  const auto dir = fresh_dir("text_tok_nasty");
  std::ostringstream log;
  const Tokenizer t = tiny_tokenizer(dir, log);
  std::vector<std::string> nasty = {"",
                                    "\n",
                                    "\n\n\n",
                                    " ",
                                    "   ",
                                    "  two leading spaces",
                                    "trailing spaces   ",
                                    "\ttabs\t\tinside\t",
                                    "a  b   c    d",
                                    "mixed \t \n  \n\t\n end",
                                    "é ü ß 日本語 🙂 ∑ \xCC\x81 e\xCC\x81 \xE2\x80\x8D",
                                    "\xE2\x96\x81",  // U+2581, SentencePiece's own space symbol
                                    "\xE2\x96\x81\xE2\x96\x81 x\xE2\x96\x81y \xE2\x96\x81",
                                    "<mask> <unk> <s> </s> <0x41> \xE2\x81\x87",
                                    std::string("nul\0inside", 10),
                                    "windows\r\nline\r\n",
                                    "replacement \xEF\xBF\xBD char",
                                    "    def f(x):\n        return x  # indented\n",
                                    std::string(5000, ' '),
                                    std::string(3000, 'x') + "\n" + std::string(2000, '-')};
  // Random strings over a mix of ASCII, whitespace and multi-byte characters.
  const char* const kPieces[] = {"a", "Z", " ", "  ", "\t", "\n", ".", "é", "日", "🙂", "\xE2\x96\x81", "\r", "0"};
  SplitMix64 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string s;
    const auto len = rng.below(40);
    for (uint64_t k = 0; k < len; ++k) s += kPieces[rng.below(std::size(kPieces))];
    nasty.push_back(s);
  }
  for (const std::string& s : nasty) {
    const std::vector<int32_t> ids = t.encode(s);
    for (const int32_t id : ids) ASSERT_TRUE(id >= 0 && id < t.vocab_size()) << id;
    EXPECT_EQ(t.decode(ids), s) << "for [" << s << "]";
  }
  EXPECT_EQ(t.encode("\n"), std::vector<int32_t>{t.newline_id()});
  const auto mask_text = t.encode("<mask>");
  EXPECT_EQ(std::count(mask_text.begin(), mask_text.end(), t.mask_id()), 0) << "the text <mask> is not the mask";
  EXPECT_EQ(t.decode({t.mask_id()}), "");
  EXPECT_THROW(t.decode({static_cast<int32_t>(t.vocab_size())}), std::invalid_argument);
  EXPECT_THROW(t.decode({-1}), std::invalid_argument);
}

TEST(TextTokenizer, RoundTripsRealDocuments) {
  const auto dir = fresh_dir("text_tok_real");
  std::ostringstream log;
  const Tokenizer t = tiny_tokenizer(dir, log);
  for (const auto& d : generated_documents(2, 300, 9)) EXPECT_EQ(t.decode(t.encode(d.text)), d.text);
  if (!fs::exists(default_python_docs_dir())) GTEST_SKIP() << "python3.11-doc is not installed (scripts/setup.sh)";
  for (const char* name : {"tutorial/introduction.rst.txt", "library/re.rst.txt", "whatsnew/3.11.rst.txt"}) {
    const std::string text = read_bytes(default_python_docs_dir() / name);
    ASSERT_FALSE(text.empty()) << name;
    EXPECT_EQ(t.decode(t.encode(text)), text) << name;
  }
}

TEST(TextTokenizer, SecondCallLoadsTheCacheAndTrainingIsDeterministic) {
  const auto dir = fresh_dir("text_tok_cache");
  std::ostringstream first, second, elsewhere;
  const Tokenizer a = tiny_tokenizer(dir / "cache", first);
  EXPECT_THAT(first.str(), HasSubstr("tokenizer: trained a unigram tokenizer (400 pieces)"));
  EXPECT_EQ(a.vocab_size(), 400);
  EXPECT_EQ(a.fingerprint().size(), 16u);
  const fs::path folder = dir / "cache" / ("tokenizer-" + a.fingerprint());
  EXPECT_EQ(a.model_file(), folder / "tokenizer.model");
  ASSERT_TRUE(fs::exists(folder / "meta.json"));
  const std::string meta = read_bytes(folder / "meta.json");
  EXPECT_THAT(meta, HasSubstr("\"vocab_size\": 400"));
  EXPECT_THAT(meta, HasSubstr(a.fingerprint()));
  EXPECT_EQ(count_entries(dir / "cache", ".tokenizer-"), 0) << "no temporary folder is left";

  const Tokenizer b = tiny_tokenizer(dir / "cache", second);
  EXPECT_THAT(second.str(), HasSubstr("loaded the cached unigram tokenizer"));
  EXPECT_THAT(second.str(), ::testing::Not(HasSubstr("trained")));
  EXPECT_EQ(b.fingerprint(), a.fingerprint());
  EXPECT_EQ(read_bytes(folder / "meta.json"), meta) << "the cache was not rewritten";
  EXPECT_EQ(count_entries(dir / "cache", "tokenizer-"), 1);

  // The same corpus and options in another cache folder: the same model, byte for byte.
  const Tokenizer c = tiny_tokenizer(dir / "other", elsewhere);
  EXPECT_THAT(elsewhere.str(), HasSubstr("trained"));
  EXPECT_EQ(read_bytes(c.model_file()), read_bytes(a.model_file()));

  const Tokenizer loaded = Tokenizer::load(a.model_file());
  EXPECT_EQ(loaded.fingerprint(), a.fingerprint());
  const std::string sample = "The module defines a function.\n    return value\n";
  EXPECT_EQ(loaded.encode(sample), a.encode(sample));
  EXPECT_EQ(b.encode(sample), a.encode(sample));
}

TEST(TextTokenizer, FingerprintChangesWithOneCharacterOrAnOption) {
  const auto dir = fresh_dir("text_tok_invalidate");
  std::ostringstream log;
  std::vector<TextDocument> docs = generated_documents(3, 400, 2);
  const Tokenizer base = Tokenizer::train_or_load(docs, tiny_options(dir), log);
  docs[1].text[docs[1].text.size() / 2] ^= 1;  // one character
  const Tokenizer edited = Tokenizer::train_or_load(docs, tiny_options(dir), log);
  docs[1].text[docs[1].text.size() / 2] ^= 1;
  const Tokenizer bigger = Tokenizer::train_or_load(docs, tiny_options(dir, 420), log);
  TokenizerOptions bpe = tiny_options(dir);
  bpe.model_type = "bpe";
  const Tokenizer other_type = Tokenizer::train_or_load(docs, bpe, log);
  const Tokenizer again = Tokenizer::train_or_load(docs, tiny_options(dir), log);
  const std::set<std::string> prints = {base.fingerprint(), edited.fingerprint(), bigger.fingerprint(),
                                        other_type.fingerprint()};
  EXPECT_EQ(prints.size(), 4u);
  EXPECT_EQ(again.fingerprint(), base.fingerprint());
  EXPECT_EQ(bigger.vocab_size(), 420);
  EXPECT_EQ(count_entries(dir, "tokenizer-"), 4);
  const std::string text = log.str();
  size_t trained = 0;
  for (size_t at = text.find("trained"); at != std::string::npos; at = text.find("trained", at + 1)) ++trained;
  EXPECT_EQ(trained, 4u) << text;
}

TEST(TextTokenizer, ErrorsSayWhatToDo) {
  const auto dir = fresh_dir("text_tok_errors");
  std::ostringstream log;
  const auto docs = generated_documents(1, 200, 3);
  EXPECT_THAT(error_of([&] { Tokenizer::train_or_load(docs, tiny_options(dir, 100), log); }),
              HasSubstr("vocab_size 100 is too small"));
  TokenizerOptions word = tiny_options(dir);
  word.model_type = "word";
  EXPECT_THROW(Tokenizer::train_or_load(docs, word, log), std::invalid_argument);
  const std::vector<TextDocument> tiny_text = {{"t", "one short line\nand another\n"}};
  const std::string too_big = error_of([&] { Tokenizer::train_or_load(tiny_text, tiny_options(dir, 2000), log); });
  EXPECT_THAT(too_big, HasSubstr("SentencePiece cannot train a unigram tokenizer (2000 pieces)"));
  EXPECT_THAT(too_big, HasSubstr("choose a vocab_size that fits the text"));

  const Tokenizer t = Tokenizer::train_or_load(docs, tiny_options(dir), log);
  write_text(t.model_file(), "not a model");
  const std::string unreadable = error_of([&] { Tokenizer::train_or_load(docs, tiny_options(dir), log); });
  EXPECT_THAT(unreadable, HasSubstr("cannot be read"));
  EXPECT_THAT(unreadable, HasSubstr("delete that folder"));
  EXPECT_THAT(error_of([&] { Tokenizer::load(t.model_file()); }), HasSubstr("is not a SentencePiece model"));
}

// ---- Token ids ------------------------------------------------------------------------------

TEST(TextTokenizedCorpus, ConcatenatesDocumentsAndLoadsFromTheCache) {
  const auto dir = fresh_dir("text_ids");
  std::ostringstream log;
  const Tokenizer t = tiny_tokenizer(dir, log);
  TextSplit split = generated_split(generated_documents(3, 100, 4), generated_documents(1, 50, 5));
  std::ostringstream first, second;
  const TokenizedCorpus a = tokenize_corpus(split, t, dir, first);
  std::vector<int64_t> expected;
  for (const auto& d : split.train) {
    for (const int32_t id : t.encode(d.text)) expected.push_back(id);
    expected.push_back(t.newline_id());
  }
  EXPECT_EQ(a.train.scalar_type(), torch::kLong);
  EXPECT_EQ(a.train.dim(), 1);
  EXPECT_EQ(as_vector(a.train), expected);
  EXPECT_EQ(as_vector(a.val).back(), t.newline_id());
  EXPECT_THAT(first.str(), HasSubstr("cached in"));
  const TokenizedCorpus b = tokenize_corpus(split, t, dir, second);
  EXPECT_THAT(second.str(), HasSubstr("tokens: loaded"));
  EXPECT_EQ(b.fingerprint, a.fingerprint);
  EXPECT_TRUE(torch::equal(a.train, b.train));
  EXPECT_TRUE(torch::equal(a.val, b.val));
  const fs::path ids = dir / ("tokenizer-" + t.fingerprint()) / ("tokens-" + a.fingerprint + "-train.i32");
  EXPECT_EQ(static_cast<int64_t>(fs::file_size(ids)), 4 * a.train.numel()) << "ids live beside the tokenizer";
  split.val[0].text += "x";
  EXPECT_NE(tokenize_corpus(split, t, dir, second).fingerprint, a.fingerprint);
}

TEST(TextTokenizedCorpus, DamagedCacheIsRebuiltWithAWarning) {
  const auto dir = fresh_dir("text_ids_damaged");
  std::ostringstream log;
  const Tokenizer t = tiny_tokenizer(dir, log);
  const TextSplit split = generated_split(generated_documents(2, 100, 6), generated_documents(1, 30, 7));
  const TokenizedCorpus good = tokenize_corpus(split, t, dir, log);
  const fs::path ids = dir / ("tokenizer-" + t.fingerprint()) / ("tokens-" + good.fingerprint + "-train.i32");
  const std::string original = read_bytes(ids);
  const auto out_of_vocab = [&] {
    std::string b = original;
    const int32_t big = 1 << 30;
    std::memcpy(&b[8], &big, 4);
    return b;
  };
  const auto other_valid_id = [&] {
    std::string b = original;
    int32_t id;
    std::memcpy(&id, &b[8], 4);
    id = (id + 1) % static_cast<int32_t>(t.vocab_size());
    std::memcpy(&b[8], &id, 4);
    return b;
  };
  const std::vector<std::pair<std::string, std::string>> damages = {
      {original.substr(0, original.size() - 2), "not a multiple of 4"},
      {original.substr(0, original.size() - 4), "its meta file says"},
      {out_of_vocab(), "outside the vocabulary"},
      {other_valid_id(), "checksum"}};
  for (const auto& [bytes, why] : damages) {
    write_text(ids, bytes);
    std::ostringstream warned;
    const TokenizedCorpus again = tokenize_corpus(split, t, dir, warned);
    EXPECT_THAT(warned.str(), HasSubstr("warning: the cached tokens"));
    EXPECT_THAT(warned.str(), HasSubstr(why));
    EXPECT_TRUE(torch::equal(again.train, good.train));
    EXPECT_EQ(read_bytes(ids), original) << "the cache was rewritten";
  }
}

// ---- Windows and batches --------------------------------------------------------------------

TEST(TextWindows, RandomStartsCoverTheRangeAndRepeatForASeed) {
  const auto a = random_window_starts(10, 3, 5000, 11), b = random_window_starts(10, 3, 5000, 11);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, random_window_starts(10, 3, 5000, 12));
  const std::set<int64_t> seen(a.begin(), a.end());
  EXPECT_EQ(seen, (std::set<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(random_window_starts(5, 5, 3, 1), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_THROW(random_window_starts(4, 5, 1, 1), std::invalid_argument);
  EXPECT_THROW(random_window_starts(4, 0, 1, 1), std::invalid_argument);
}

TEST(TextWindows, EvalStartsAreNonOverlappingAndEvenlyCapped) {
  EXPECT_EQ(eval_window_starts(105, 10, 0), (std::vector<int64_t>{0, 10, 20, 30, 40, 50, 60, 70, 80, 90}));
  EXPECT_EQ(eval_window_starts(100, 10, 3), (std::vector<int64_t>{0, 30, 60}));
  EXPECT_EQ(eval_window_starts(100, 10, 50).size(), 10u);
  EXPECT_THROW(eval_window_starts(5, 10, 0), std::invalid_argument);
  EXPECT_THROW(eval_window_starts(100, 10, -1), std::invalid_argument);
}

TEST(TextWindows, CausalTargetsAreInputsShiftedByOne) {
  const torch::Tensor tokens = (torch::arange(200, torch::kLong) * 37) % 101;
  const std::vector<int64_t> starts = {0, 17, 199 - 16};
  const TokenBatch b = causal_batch(tokens, starts, 16);
  ASSERT_EQ(b.inputs.sizes(), (std::vector<int64_t>{3, 16}));
  ASSERT_EQ(b.targets.sizes(), (std::vector<int64_t>{3, 16}));
  EXPECT_TRUE(torch::equal(b.targets.slice(1, 0, 15), b.inputs.slice(1, 1, 16)));
  for (size_t r = 0; r < starts.size(); ++r) {
    const auto s = starts[r];
    EXPECT_TRUE(torch::equal(b.inputs[static_cast<int64_t>(r)], tokens.slice(0, s, s + 16)));
    EXPECT_TRUE(torch::equal(b.targets[static_cast<int64_t>(r)], tokens.slice(0, s + 1, s + 17)));
  }
  EXPECT_TRUE(torch::equal(causal_batch(tokens.to(torch::kInt), starts, 16).inputs, b.inputs));
  EXPECT_THROW(causal_batch(tokens, {200 - 16}, 16), std::invalid_argument);  // needs 17 tokens
  EXPECT_THROW(causal_batch(tokens, {0}, 0), std::invalid_argument);
  EXPECT_THROW(causal_batch(tokens.to(torch::kFloat), {0}, 4), std::invalid_argument);
}

TEST(TextWindows, MaskingHasBertStatisticsAndRepeatsForASeed) {
  constexpr int64_t kVocab = 1000, kMask = 3, kRows = 256, kContext = 256;
  // Ids in [10, vocab): none is the mask id or kIgnoreIndex, so what happened to each is visible.
  torch::Tensor tokens = torch::empty({kRows * kContext + 7}, torch::kLong);
  SplitMix64 rng(3);
  for (int64_t i = 0; i < tokens.numel(); ++i) tokens.data_ptr<int64_t>()[i] = 10 + static_cast<int64_t>(rng.below(kVocab - 10));
  std::vector<int64_t> starts;
  for (int64_t r = 0; r < kRows; ++r) starts.push_back(r * kContext + (r % 7));
  MaskingOptions m;
  m.mask_id = kMask;
  m.vocab_size = kVocab;
  const TokenBatch b = masked_batch(tokens, starts, kContext, 42, m);
  const TokenBatch plain = causal_batch(tokens, starts, kContext);  // inputs = the original ids
  const torch::Tensor original = plain.inputs;
  const torch::Tensor selected = b.targets.ne(kIgnoreIndex);
  EXPECT_TRUE(torch::equal(b.targets.masked_select(selected), original.masked_select(selected)));
  EXPECT_TRUE(torch::equal(b.inputs.masked_select(selected.logical_not()),
                           original.masked_select(selected.logical_not())))
      << "unselected inputs are untouched";
  const double positions = static_cast<double>(kRows * kContext);
  const double n_selected = selected.sum().item<double>();
  EXPECT_NEAR(n_selected / positions, 0.15, 0.006);  // 4 standard deviations
  const torch::Tensor in = b.inputs.masked_select(selected), orig = original.masked_select(selected);
  const double masked = in.eq(kMask).sum().item<double>() / n_selected;
  const double kept = in.eq(orig).sum().item<double>() / n_selected;
  const double replaced = 1 - masked - kept;
  EXPECT_NEAR(masked, 0.8, 0.02);
  EXPECT_NEAR(replaced, 0.1, 0.015);
  EXPECT_NEAR(kept, 0.1, 0.015);
  EXPECT_TRUE(b.inputs.ge(0).all().item<bool>() && b.inputs.lt(kVocab).all().item<bool>());

  const TokenBatch same = masked_batch(tokens, starts, kContext, 42, m);
  EXPECT_TRUE(torch::equal(same.inputs, b.inputs));
  EXPECT_TRUE(torch::equal(same.targets, b.targets));
  const TokenBatch other = masked_batch(tokens, starts, kContext, 43, m);
  EXPECT_FALSE(torch::equal(other.targets, b.targets));

  m.mask_prob = 1e-9;  // nothing selected by chance: exactly one position per row
  const TokenBatch one = masked_batch(tokens, starts, kContext, 5, m);
  EXPECT_TRUE(torch::equal(one.targets.ne(kIgnoreIndex).sum(1), torch::ones({kRows}, torch::kLong)));
}

TEST(TextWindows, MaskingRejectsBadArguments) {
  const torch::Tensor tokens = torch::arange(50, torch::kLong);
  MaskingOptions m;
  m.mask_id = 1;
  m.vocab_size = 50;
  EXPECT_NO_THROW(masked_batch(tokens, {0}, 50, 1, m));
  EXPECT_THROW(masked_batch(tokens, {0}, 51, 1, m), std::invalid_argument);  // shorter than a window
  EXPECT_THROW(masked_batch(tokens, {1}, 50, 1, m), std::invalid_argument);
  EXPECT_THROW(masked_batch(tokens, {0}, 0, 1, m), std::invalid_argument);
  for (double p : {0.0, -0.5, 1.5, std::nan("")}) {
    MaskingOptions bad = m;
    bad.mask_prob = p;
    EXPECT_THROW(masked_batch(tokens, {0}, 8, 1, bad), std::invalid_argument) << p;
  }
  MaskingOptions bad_id = m;
  bad_id.mask_id = 50;
  EXPECT_THROW(masked_batch(tokens, {0}, 8, 1, bad_id), std::invalid_argument);
}

// ---- Unigram baseline -----------------------------------------------------------------------

TEST(TextUnigram, MatchesTheClosedForm) {
  // p(0) = (2 + 1) / (3 + 3) = 1/2, p(2) = (0 + 1) / 6: perplexity = (2 * 6)^(1/2).
  const torch::Tensor train = torch::tensor({0, 0, 1}, torch::kLong), val = torch::tensor({0, 2}, torch::kLong);
  EXPECT_NEAR(unigram_perplexity(train, val, 3), std::sqrt(12.0), 1e-12);
}

TEST(TextUnigram, UniformCountsGiveTheVocabularySize) {
  const torch::Tensor train = torch::arange(7, torch::kLong).repeat({3});
  const torch::Tensor val = torch::tensor({0, 6, 6, 3, 1}, torch::kLong);
  EXPECT_NEAR(unigram_perplexity(train, val, 7), 7.0, 1e-12);
  EXPECT_NEAR(unigram_perplexity(torch::empty({0}, torch::kLong), val, 7), 7.0, 1e-12);
  EXPECT_THROW(unigram_perplexity(train, torch::tensor({7}, torch::kLong), 7), std::invalid_argument);
  EXPECT_THROW(unigram_perplexity(train, torch::empty({0}, torch::kLong), 7), std::invalid_argument);
}

}  // namespace
}  // namespace gem::train
