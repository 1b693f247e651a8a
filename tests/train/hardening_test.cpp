// The trainer's guarantees under hostile conditions: one writer per run folder, a folder bound
// to its options, divergence stops a run and says so, checkpoints are verified, a full disk
// keeps the previous checkpoint, a killed run's log keeps its lines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/run_program.h"
#include "src/support/folder_lock.h"
#include "src/train/trainer/checkpoint.h"
#include "src/train/trainer/json_files.h"
#include "src/train/trainer/metrics.h"
#include "src/train/trainer/run_training.h"
#include "train/data_files.h"
#include "train/tiny_run.h"

namespace gem::train {
namespace {

using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

namespace proc = gem::testing;  // child processes (common/run_program.h)

std::string gem_train() { return std::string(GEM_BINARY_DIR) + "/bin/gem-train"; }

using testing::error_of;
using testing::tiny_options;
using testing::train;

// The same tiny run as a recipe file, for the gem-train binary.
std::filesystem::path write_recipe(const std::filesystem::path& dir, const std::filesystem::path& data,
                                   int64_t epochs) {
  const auto file = dir / "tiny.json";
  std::ofstream(file) << json{{"train",
                               {{"dataset", "mnist"},
                                {"data_dir", data.string()},
                                {"model", "cnn"},
                                {"width", 4},
                                {"hidden", {16}},
                                {"epochs", epochs},
                                {"batch_size", 16},
                                {"eval_batch_size", 16},
                                {"lr", 0.05},
                                {"threads", 1},
                                {"log_every", 0}}},
                              {"activations", {"relu"}},
                              {"seeds", {1}}}
                              .dump();
  return file;
}

class Hardening : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = testing::fresh_dir("hardening_" + name);
    data_ = dir_ / "data";
    testing::write_tiny_idx_dataset(data_);
  }
  std::filesystem::path dir_, data_;
};

TEST_F(Hardening, OneWriterPerRunFolder) {
  const support::FolderLock held(dir_ / "run", "a test holding the lock");
  EXPECT_THAT(error_of([&] { train(tiny_options(data_), dir_ / "run"); }),
              HasSubstr("is in use by a test holding the lock (pid " + std::to_string(::getpid()) + ")"));
  // The binary: exit 1 with the same message, and no file written.
  const auto recipe = write_recipe(dir_, data_, 1);
  const auto run = proc::run_program({gem_train(), "--recipe", recipe.string(), "--out", (dir_ / "run").string()});
  EXPECT_EQ(run.status, 1);
  EXPECT_THAT(run.err, HasSubstr("is in use by a test holding the lock"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run" / "options.json"));
}

TEST_F(Hardening, FinishedFolderIsBoundToItsOptions) {
  TrainOptions o = tiny_options(data_);
  o.epochs = 1;
  train(o, dir_ / "run");
  TrainOptions other = o;
  other.activation = "gelu";
  other.seed = 9;
  // Was: exit 0, "already finished", the egem run's summary passed off as gelu seed 9.
  const std::string refusal = error_of([&] { train(other, dir_ / "run", /*resume=*/true); });
  EXPECT_THAT(refusal, AllOf(HasSubstr("holds a run made with other options"),
                             HasSubstr("activation: recorded \"egem:N=1,eps=0.01\", now \"gelu\""),
                             HasSubstr("seed: recorded 1, now 9"), HasSubstr("--restart")));
  const json fresh = train(other, dir_ / "run", /*resume=*/true, 0, /*restart=*/true);
  EXPECT_EQ(fresh["activation"], "gelu");
  EXPECT_EQ(read_json_file(dir_ / "run" / "options.json")["seed"], 9);
  // Same options, resumed: the finished run is returned.
  EXPECT_EQ(train(other, dir_ / "run", true)["seed"], 9);
}

TEST_F(Hardening, DivergenceStopsTheRunAndIsRecorded) {
  TrainOptions o = tiny_options(data_);
  o.lr = 1e6;
  const std::string error = error_of([&] { train(o, dir_ / "run", false, 1); });
  EXPECT_THAT(error, AllOf(HasSubstr("training diverged: the training loss is"), HasSubstr("at epoch 1, step")));
  const json summary = read_json_file(dir_ / "run" / "summary.json");
  EXPECT_EQ(summary["diverged"], true);
  EXPECT_EQ(summary["epochs_completed"], 0);
  EXPECT_EQ(summary["activation"], "egem:N=1,eps=0.01");
  EXPECT_FALSE(summary.contains("test_loss"));  // no null losses
  // Resuming says what happened instead of "type must be number, but is null".
  EXPECT_THAT(error_of([&] { train(o, dir_ / "run", true); }),
              AllOf(HasSubstr("which diverged (the training loss is"), HasSubstr("nothing to resume")));
  // The binary exits 1.
  const auto recipe = write_recipe(dir_, data_, 2);
  const auto run = proc::run_program(
      {gem_train(), "--recipe", recipe.string(), "--lr", "1e6", "--out", (dir_ / "cli").string()});
  EXPECT_EQ(run.status, 1);
  EXPECT_THAT(run.err, HasSubstr("training diverged"));
  EXPECT_THAT(run.out, Not(HasSubstr("done")));
}

TEST_F(Hardening, DivergenceLaterKeepsTheLastFiniteCheckpoint) {
  TrainOptions o = tiny_options(data_);
  o.augment_pad = 0;
  o.augment_flip = false;
  o.lr = 300;  // reached slowly by a long warm-up: the first epochs are finite
  o.warmup_epochs = 100;
  o.schedule = "constant";
  o.epochs = 200;
  EXPECT_THROW(train(o, dir_ / "run"), TrainingDiverged);
  const json summary = read_json_file(dir_ / "run" / "summary.json");
  const int64_t diverged_epoch = summary["diverged_epoch"].get<int64_t>();
  EXPECT_GE(diverged_epoch, 2);
  EXPECT_EQ(summary["epochs_completed"], diverged_epoch - 1);
  EXPECT_EQ(read_checkpoint_state(dir_ / "run" / "checkpoint.pt").epochs_done, diverged_epoch - 1);
  const auto lines = read_json_lines(dir_ / "run" / "metrics.jsonl");
  EXPECT_EQ(static_cast<int64_t>(lines.size()), diverged_epoch - 1);
  for (const json& line : lines) EXPECT_TRUE(line["train_loss"].is_number());
}

TEST_F(Hardening, DamagedCheckpointsAreRefusedInOneLine) {
  TrainOptions o = tiny_options(data_);
  o.epochs = 2;
  train(o, dir_ / "run", false, 1);
  const auto checkpoint = dir_ / "run" / "checkpoint.pt";
  const std::string good = proc::read_file(checkpoint);
  const auto resume_error = [&](const std::string& bytes) {
    std::ofstream(checkpoint, std::ios::binary) << bytes;
    return error_of([&] { train(o, dir_ / "run", true); });
  };
  std::string flipped = good;
  for (std::size_t i = 0; i < 64; ++i) flipped[good.size() / 2 + i] = static_cast<char>(~flipped[good.size() / 2 + i]);
  const std::string damaged = resume_error(flipped);
  EXPECT_THAT(damaged, AllOf(HasSubstr("cannot use the checkpoint"), HasSubstr("it is damaged: its CRC-32 is")));
  EXPECT_EQ(damaged.find('\n'), std::string::npos) << damaged;  // one line, no C++ trace
  EXPECT_THAT(resume_error(good.substr(0, good.size() - 100)), HasSubstr("(truncated or damaged)"));
  EXPECT_THAT(resume_error(good.substr(64)), HasSubstr("written by an older gem-train"));
  EXPECT_THAT(resume_error("hello"), HasSubstr("not a gem-train checkpoint"));
  std::ofstream(checkpoint, std::ios::binary) << good;
  EXPECT_EQ(train(o, dir_ / "run", true)["epochs"], 2);  // the intact file resumes
}

TEST_F(Hardening, AFullDiskKeepsThePreviousCheckpoint) {
  const auto recipe = write_recipe(dir_, data_, 3);
  const std::vector<std::string> command{gem_train(), "--recipe", recipe.string(), "--out", (dir_ / "run").string()};
  auto with = [](std::vector<std::string> args, std::initializer_list<const char*> more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  ASSERT_EQ(proc::run_program(with(command, {"--stop-after-epochs", "1"})).status, 0);
  const auto checkpoint = dir_ / "run" / "checkpoint.pt";
  const auto size = static_cast<long long>(std::filesystem::file_size(checkpoint));
  // The next checkpoint cannot be written in full (the limit acts as a full disk: EFBIG).
  proc::ProgramOptions full;
  full.file_size_limit = size - 1;
  const auto run = proc::run_program(with(command, {"--resume"}), full);
  EXPECT_EQ(run.status, 1);  // was: abort (134) inside LibTorch's zip writer
  EXPECT_THAT(run.err, AllOf(HasSubstr("cannot write " + checkpoint.string()), HasSubstr("File too large"),
                             HasSubstr("checkpoint.pt keeps its previous content")));
  EXPECT_EQ(read_checkpoint_state(checkpoint).epochs_done, 1);
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "run"))
    EXPECT_THAT(e.path().filename().string(), Not(HasSubstr(".tmp"))) << "temporary file left behind";
  // With space again, the run resumes from epoch 1 and ends as an uninterrupted one does; the
  // temporary file a kill -9 during a save would leave is cleared.
  std::ofstream(dir_ / "run" / ".checkpoint.pt-Ab12Cd.tmp") << std::string(1000, 'x');
  ASSERT_EQ(proc::run_program(with(command, {"--resume"})).status, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run" / ".checkpoint.pt-Ab12Cd.tmp"));
  ASSERT_EQ(proc::run_program({gem_train(), "--recipe", recipe.string(), "--out", (dir_ / "whole").string()}).status,
            0);
  std::vector<json> a, b;
  for (const auto& l : read_json_lines(dir_ / "run" / "metrics.jsonl")) a.push_back(reproducible_part(epoch_metrics_from_json(l)));
  for (const auto& l : read_json_lines(dir_ / "whole" / "metrics.jsonl")) b.push_back(reproducible_part(epoch_metrics_from_json(l)));
  EXPECT_EQ(a, b);
}

TEST_F(Hardening, AKilledRunsLogKeepsItsLines) {
  const auto recipe = write_recipe(dir_, data_, 100000);
  const auto log = dir_ / "train.log";
  const pid_t pid = proc::spawn_program({gem_train(), "--recipe", recipe.string(), "--out", (dir_ / "run").string()}, log);
  // Wait for the first epoch's line in the file, then kill -9: the lines are there (they were
  // held in stdout's buffer and lost before).
  const bool logged = proc::eventually(
      [&] { return proc::read_file(log).find("epoch 1/100000: train loss") != std::string::npos; }, 30);
  ::kill(pid, SIGKILL);
  EXPECT_EQ(proc::wait_for(pid), 128 + SIGKILL);
  EXPECT_TRUE(logged) << proc::read_file(log);
  EXPECT_THAT(proc::read_file(log), HasSubstr("gem-train: recipe tiny"));
}

}  // namespace
}  // namespace gem::train

namespace gem::train {
namespace {

TEST_F(Hardening, LinksPlantedInARunFolderRedirectNothing) {
  std::ofstream(dir_ / "victim") << "ORIGINAL";
  std::filesystem::create_directories(dir_ / "run");
  std::filesystem::create_symlink(dir_ / "victim", dir_ / "run" / ".lock");
  EXPECT_THAT(error_of([&] { train(tiny_options(data_), dir_ / "run"); }), HasSubstr("it is a symbolic link"));
  EXPECT_EQ(proc::read_file(dir_ / "victim"), "ORIGINAL");
}

TEST_F(Hardening, AFolderThatRecordsNoOptionsIsNotTakenAsThisRun) {
  TrainOptions o = tiny_options(data_);
  o.epochs = 1;
  train(o, dir_ / "run");
  json summary = read_json_file(dir_ / "run" / "summary.json");
  summary.erase("options");
  write_json_atomically(dir_ / "run" / "summary.json", summary);
  std::filesystem::remove(dir_ / "run" / "options.json");
  std::filesystem::remove(dir_ / "run" / "checkpoint.pt");
  o.lr = 0.9;
  // Was: "already finished", with any options.
  EXPECT_THAT(error_of([&] { train(o, dir_ / "run", true); }), HasSubstr("options: recorded by none of its files"));
}

TEST_F(Hardening, ACheckpointOfAnotherModelIsRefused) {
  torch::nn::Linear wide(4, 16), narrow(4, 8);
  torch::optim::SGD wide_opt(wide->parameters(), 0.1), narrow_opt(narrow->parameters(), 0.1);
  TrainingState state;
  state.options = json::object();
  save_checkpoint(dir_ / "checkpoint.pt", *wide, wide_opt, state);
  // Was: the 16-wide weights taken silently into the 8-wide model.
  EXPECT_THAT(error_of([&] { load_checkpoint(dir_ / "checkpoint.pt", *narrow, narrow_opt, torch::kCPU); }),
              AllOf(HasSubstr("it holds another model: weight has shape [16, 4] there, [8, 4] here")));
  std::filesystem::create_directory(dir_ / "dir.pt");
  EXPECT_THAT(error_of([&] { read_checkpoint_state(dir_ / "dir.pt"); }), HasSubstr("it is not a regular file"));
}

TEST_F(Hardening, StandardOutputFailuresNameTheirCause) {
  const auto recipe = write_recipe(dir_, data_, 1);
  proc::ProgramOptions full;
  full.stdout_path = "/dev/full";
  const auto run = proc::run_program({gem_train(), "--recipe", recipe.string(), "--out", (dir_ / "run").string()}, full);
  EXPECT_EQ(run.status, 1);
  EXPECT_THAT(run.err, HasSubstr("cannot write the standard output: No space left on device"));  // was a stale errno
  EXPECT_EQ(proc::run_program({gem_train(), "--help"}, full).status, 1);  // was: exit 0
}

}  // namespace
}  // namespace gem::train
