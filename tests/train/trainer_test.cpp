// The trainer: same seed -> identical metrics; a run interrupted and resumed -> exactly the
// metrics of an uninterrupted run; outputs (summary keys, metrics lines); refusals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "src/train/trainer/json_files.h"
#include "src/train/trainer/metrics.h"
#include "src/train/trainer/run_training.h"
#include "train/data_files.h"
#include "train/tiny_run.h"

namespace gem::train {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

using testing::tiny_options;
using testing::train;

std::vector<json> reproducible_metrics(const std::filesystem::path& run) {
  std::vector<json> out;
  for (const json& line : read_json_lines(run / "metrics.jsonl")) out.push_back(reproducible_part(epoch_metrics_from_json(line)));
  return out;
}

// ctest runs each test in its own process, possibly at the same time: every test writes its
// own copy of the data.
class Trainer : public ::testing::Test {
 protected:
  std::filesystem::path data_dir() {
    if (data_.empty()) {
      data_ = std::filesystem::path(GEM_BINARY_DIR) / "test-output/train/tiny-data" /
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
      testing::write_tiny_idx_dataset(data_);
    }
    return data_;
  }

 private:
  std::filesystem::path data_;
};

TEST_F(Trainer, SameSeedSameMetricsOtherSeedOther) {
  const auto dir = testing::fresh_dir("determinism");
  TrainOptions o = tiny_options(data_dir());
  train(o, dir / "a");
  train(o, dir / "b");
  o.seed = 2;
  train(o, dir / "c");
  const auto a = reproducible_metrics(dir / "a");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a, reproducible_metrics(dir / "b"));
  EXPECT_NE(a, reproducible_metrics(dir / "c"));
}

TEST_F(Trainer, ResumeGivesExactlyTheUninterruptedMetrics) {
  const auto dir = testing::fresh_dir("resume");
  for (const char* optimizer : {"sgd", "adamw"}) {
    TrainOptions o = tiny_options(data_dir());
    o.optimizer = optimizer;
    o.nesterov = true;
    o.lr = std::string(optimizer) == "adamw" ? 3e-3 : 0.05;
    const json whole = train(o, dir / optimizer / "whole");
    const auto pieces = dir / optimizer / "pieces";
    EXPECT_TRUE(train(o, pieces, false, 1).is_null());  // stops after epoch 1
    EXPECT_FALSE(std::filesystem::exists(pieces / "summary.json"));
    EXPECT_EQ(read_json_lines(pieces / "metrics.jsonl").size(), 1u);
    EXPECT_TRUE(train(o, pieces, true, 1).is_null());   // epoch 2
    const json resumed = train(o, pieces, true);        // epoch 3
    ASSERT_EQ(reproducible_metrics(pieces).size(), 3u);
    EXPECT_EQ(reproducible_metrics(dir / optimizer / "whole"), reproducible_metrics(pieces)) << optimizer;
    for (const char* key : {"test_accuracy", "best_test_accuracy", "test_loss", "dead_fraction", "train_loss"})
      EXPECT_EQ(whole[key], resumed[key]) << optimizer << " " << key;
  }
}

TEST_F(Trainer, SummaryHasTheAgreedKeysAndTheLossFalls) {
  const auto dir = testing::fresh_dir("summary");
  TrainOptions o = tiny_options(data_dir());
  o.epochs = 4;
  train(o, dir);
  const json s = read_json_file(dir / "summary.json");
  for (const char* key : {"recipe", "activation", "seed", "epochs", "seconds", "test_accuracy", "best_test_accuracy",
                          "test_loss", "dead_fraction", "options", "samples_per_second"})
    EXPECT_TRUE(s.contains(key)) << key;
  EXPECT_EQ(s["recipe"], "tiny");
  EXPECT_EQ(s["activation"], "egem:N=1,eps=0.01");  // canonical form
  EXPECT_EQ(s["epochs"], 4);
  EXPECT_GE(s["test_accuracy"].get<double>(), 0.0);
  EXPECT_LE(s["test_accuracy"].get<double>(), 1.0);
  EXPECT_GE(s["best_test_accuracy"].get<double>(), s["test_accuracy"].get<double>());
  const auto lines = read_json_lines(dir / "metrics.jsonl");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_LT(lines.back()["train_loss"].get<double>(), lines.front()["train_loss"].get<double>());
  EXPECT_TRUE(std::filesystem::exists(dir / "checkpoint.pt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "options.json"));
}

TEST_F(Trainer, RefusesToOverwriteOrResumeWithOtherOptions) {
  const auto dir = testing::fresh_dir("refusals");
  TrainOptions o = tiny_options(data_dir());
  o.epochs = 2;
  train(o, dir, false, 1);
  try {
    train(o, dir);
    ADD_FAILURE() << "started over an existing checkpoint";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("pass --resume"));
  }
  TrainOptions other = o;
  other.lr = 0.2;
  try {
    train(other, dir, true);
    ADD_FAILURE() << "resumed with another lr";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("lr: recorded 0.05, now 0.2"));
  }
  train(o, dir, true);
  EXPECT_THROW(train(o, dir), std::invalid_argument);  // finished: summary.json exists
  EXPECT_EQ(train(o, dir, true)["epochs"], 2);          // resume of a finished run returns it
}

}  // namespace
}  // namespace gem::train
