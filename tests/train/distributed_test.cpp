// Data-parallel training (src/train/distributed): the share of a batch each rank takes, the
// environment torchrun sets, two ranks over Gloo training as one process does, a killed rank
// ending the whole job (and --resume finishing it), and the rendezvous failing clearly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/run_program.h"
#include "src/support/rank_launcher.h"
#include "src/train/distributed/communicator.h"
#include "src/train/distributed/dist_env.h"
#include "src/train/distributed/shard.h"
#include "src/train/trainer/json_files.h"
#include "train/data_files.h"

namespace gem::train {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
namespace proc = gem::testing;

std::string gem_train() { return std::string(GEM_BINARY_DIR) + "/bin/gem-train"; }

TEST(Shard, SplitsEvenlyAndCoversEveryItem) {
  for (int world = 1; world <= 5; ++world)
    for (int64_t n = 0; n <= 13; ++n) {
      int64_t next = 0;
      for (int r = 0; r < world; ++r) {
        const Shard s = shard_of(n, r, world);
        EXPECT_EQ(s.begin, next) << n << " over " << world;
        EXPECT_TRUE(s.count == n / world || s.count == n / world + 1);
        next += s.count;
      }
      EXPECT_EQ(next, n);
    }
}

// Sets environment variables for one test, restoring them after.
class Environment {
 public:
  void set(const char* name, const char* value) {
    const char* old = std::getenv(name);
    saved_.push_back({name, old ? old : "", old != nullptr});
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~Environment() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it)
      if (it->had)
        ::setenv(it->name.c_str(), it->value.c_str(), 1);
      else
        ::unsetenv(it->name.c_str());
  }

 private:
  struct Saved {
    std::string name, value;
    bool had;
  };
  std::vector<Saved> saved_;
};

std::string env_error() {
  try {
    dist_env_from_environment();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(DistEnv, ReadsTorchrunsVariablesAndNamesTheBadOne) {
  Environment env;
  for (const char* name : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"}) env.set(name, nullptr);
  EXPECT_FALSE(dist_env_from_environment().distributed());
  env.set("WORLD_SIZE", "4");
  env.set("RANK", "3");
  env.set("LOCAL_RANK", "1");
  EXPECT_THAT(env_error(), HasSubstr("MASTER_ADDR or MASTER_PORT is not set"));
  env.set("MASTER_ADDR", "10.0.0.7");
  env.set("MASTER_PORT", "29511");
  const DistEnv d = dist_env_from_environment();
  EXPECT_EQ(d.rank, 3);
  EXPECT_EQ(d.world_size, 4);
  EXPECT_EQ(d.local_rank, 1);
  EXPECT_EQ(d.master_addr, "10.0.0.7");
  EXPECT_EQ(d.master_port, 29511);
  env.set("LOCAL_RANK", nullptr);
  EXPECT_THAT(env_error(), HasSubstr("RANK or LOCAL_RANK is not set"));
  env.set("LOCAL_RANK", "1");
  env.set("RANK", "4");
  EXPECT_THAT(env_error(), HasSubstr("RANK must be an integer in [0, WORLD_SIZE - 1], got '4'"));
  env.set("RANK", "0");
  env.set("MASTER_PORT", "70000");
  EXPECT_THAT(env_error(), HasSubstr("MASTER_PORT must be an integer in [1, 65535], got '70000'"));
  env.set("MASTER_PORT", "29511");
  env.set("WORLD_SIZE", "two");
  EXPECT_THAT(env_error(), HasSubstr("WORLD_SIZE must be an integer"));
  // One rank from a launcher is a job (its collectives run); WORLD_SIZE=1 alone is not.
  env.set("WORLD_SIZE", "1");
  EXPECT_TRUE(dist_env_from_environment().distributed());
  env.set("MASTER_ADDR", nullptr);
  EXPECT_FALSE(dist_env_from_environment().distributed());
}

TEST(Communicator, OneProcessIsRankZeroOfOne) {
  const auto comm = single_process();
  EXPECT_EQ(comm->rank(), 0);
  EXPECT_EQ(comm->size(), 1);
  std::vector<torch::Tensor> t{torch::ones({3})};
  comm->all_reduce_sum(t);
  EXPECT_TRUE(torch::equal(t[0], torch::ones({3})));
}

// A recipe over the tiny 8x8 images: an MLP (no batch norm, so two ranks train what one does).
std::filesystem::path tiny_recipe(const std::filesystem::path& dir, int64_t epochs, int train_images) {
  testing::write_tiny_idx_dataset(dir / "data", train_images, 40);
  const auto file = dir / "tiny-mlp.json";
  std::ofstream(file) << json{
      {"description", "two-rank test"},
      {"train",
       {{"dataset", "mnist"},
        {"data_dir", (dir / "data").string()},
        {"model", "mlp"},
        {"hidden", {32}},
        {"activation", "egem:N=1,eps=1e-2"},
        {"epochs", epochs},
        {"batch_size", 16},
        {"eval_batch_size", 16},
        {"lr", 0.05},
        {"threads", 1},
        {"log_every", 0}}}}.dump(2);
  return file;
}

std::vector<std::string> train_command(const std::filesystem::path& recipe, const std::filesystem::path& out,
                                       const std::vector<std::string>& more = {}) {
  std::vector<std::string> argv{gem_train(), "--recipe", recipe.string(), "--out", out.string()};
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

// The multi-process tests need Gloo (a LibTorch without its headers builds without it).
class DataParallel : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto b = available_backends();
    if (std::find(b.begin(), b.end(), "gloo") == b.end()) GTEST_SKIP() << "this build has no Gloo backend";
  }
};

TEST_F(DataParallel, TwoRanksTrainToTheTestLossOfOneProcess) {
  const auto dir = testing::fresh_dir("dist_two_ranks");
  const auto recipe = tiny_recipe(dir, 3, 240);
  const proc::ProgramRun one = proc::run_program(train_command(recipe, dir / "one"));
  ASSERT_EQ(one.status, 0) << one.err;
  const proc::ProgramRun two = proc::run_program(train_command(recipe, dir / "two", {"--nproc-per-node", "2"}));
  ASSERT_EQ(two.status, 0) << two.out << two.err;
  const json a = read_json_file(dir / "one" / "summary.json"), b = read_json_file(dir / "two" / "summary.json");
  EXPECT_EQ(a["world_size"], 1);
  EXPECT_EQ(b["world_size"], 2);
  EXPECT_EQ(b["dist_backend"], "gloo");
  EXPECT_EQ(read_json_file(dir / "two" / "options.json")["world_size"], 2);
  const double la = a["test_loss"].get<double>(), lb = b["test_loss"].get<double>();
  EXPECT_LE(std::fabs(la - lb), 1e-3 * std::fabs(la)) << la << " vs " << lb;
  EXPECT_EQ(a["test_accuracy"], b["test_accuracy"]);
  // Only rank 0 spoke: one banner, one line per epoch.
  EXPECT_EQ(std::count(two.out.begin(), two.out.end(), '\n'), std::count(one.out.begin(), one.out.end(), '\n'))
      << two.out;
  EXPECT_THAT(two.out, HasSubstr("2 ranks (gloo)"));
}

TEST_F(DataParallel, BatchThatDoesNotSplitOverTheRanksIsRefused) {
  const auto dir = testing::fresh_dir("dist_bad_batch");
  const auto recipe = tiny_recipe(dir, 1, 64);
  const proc::ProgramRun r =
      proc::run_program(train_command(recipe, dir / "run", {"--nproc-per-node", "3", "--batch-size", "16"}));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--batch-size 16 does not split evenly over 3 ranks"));
  // Fewer held-out batches than ranks: refused before any training.
  const proc::ProgramRun few =
      proc::run_program(train_command(recipe, dir / "few", {"--nproc-per-node", "2", "--eval-batch-size", "64"}));
  EXPECT_NE(few.status, 0);
  EXPECT_THAT(few.err, HasSubstr("the held-out set makes 1 batches of 64, fewer than the 2 ranks"));
  EXPECT_FALSE(std::filesystem::exists(dir / "few" / "metrics.jsonl") &&
               !proc::read_file(dir / "few" / "metrics.jsonl").empty());
}

// What rank 0 alone knows reaches the user: its refusal of a folder (and its exit status), and a
// diverged run's summary, which it writes before the launcher stops the job.
TEST_F(DataParallel, RankZerosRefusalAndDivergenceSurviveTheLauncher) {
  const auto dir = testing::fresh_dir("dist_rank0_last_word");
  const auto recipe = tiny_recipe(dir, 2, 64);
  ASSERT_EQ(proc::run_program(train_command(recipe, dir / "done", {"--nproc-per-node", "2"})).status, 0);
  const proc::ProgramRun again = proc::run_program(train_command(recipe, dir / "done", {"--nproc-per-node", "2"}));
  EXPECT_EQ(again.status, 2) << again.err;
  EXPECT_THAT(again.err, HasSubstr("already holds this run"));

  const proc::ProgramRun wild =
      proc::run_program(train_command(recipe, dir / "wild", {"--nproc-per-node", "2", "--lr", "1e6"}));
  EXPECT_EQ(wild.status, 1) << wild.err;
  ASSERT_TRUE(std::filesystem::exists(dir / "wild" / "summary.json")) << wild.out << wild.err;
  EXPECT_EQ(read_json_file(dir / "wild" / "summary.json")["diverged"], true);
}

TEST_F(DataParallel, SweepRunsEachRunOnTheRanksItIsGiven) {
  const auto dir = testing::fresh_dir("dist_sweep");
  testing::write_tiny_idx_dataset(dir / "data", 64, 32);
  std::ofstream(dir / "tiny.json") << json{
      {"train",
       {{"dataset", "mnist"},
        {"data_dir", (dir / "data").string()},
        {"model", "mlp"},
        {"hidden", {8}},
        {"epochs", 1},
        {"batch_size", 16},
        {"eval_batch_size", 16},
        {"threads", 1}}},
      {"activations", {"relu", "gem:N=1"}},
      {"seeds", {1}}}.dump();
  const proc::ProgramRun r =
      proc::run_program({std::string(GEM_BINARY_DIR) + "/bin/gem-sweep", "run", "--recipe",
                         (dir / "tiny.json").string(), "--nproc-per-run", "2", "--out", (dir / "runs").string()});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  for (const char* act : {"relu", "gem_N1"})
    EXPECT_EQ(read_json_file(dir / "runs/tiny" / act / "seed-1/summary.json")["world_size"], 2) << act;
}

// The PIDs of `pid`'s children.
std::vector<pid_t> children_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<pid_t> out;
  for (pid_t c; in >> c;) out.push_back(c);
  return out;
}

/// A two-rank job of `recipe` into `run` (log in dir/log.txt), once its first epoch is in
/// metrics.jsonl (its checkpoint written): the launcher and its ranks.
struct RunningJob {
  pid_t launcher = -1;
  std::vector<pid_t> ranks;
};
RunningJob two_ranks_after_one_epoch(const std::filesystem::path& dir, const std::filesystem::path& recipe,
                                     const std::filesystem::path& run, std::vector<std::string> more) {
  more.insert(more.begin(), {"--nproc-per-node", "2"});
  RunningJob job;
  job.launcher = proc::spawn_program(train_command(recipe, run, more), dir / "log.txt");
  const bool started = proc::eventually(
      [&] {
        std::ifstream m(run / "metrics.jsonl");
        std::string line;
        return static_cast<bool>(std::getline(m, line)) && children_of(job.launcher).size() == 2;
      },
      60);
  EXPECT_TRUE(started) << proc::read_file(dir / "log.txt");
  if (started) job.ranks = children_of(job.launcher);
  return job;
}

/// Waits for the job to end; its exit status and the seconds since `since`.
std::pair<int, double> job_end(const RunningJob& job, std::chrono::steady_clock::time_point since) {
  EXPECT_TRUE(proc::eventually([&] { return proc::has_ended(job.launcher); }, 40)) << "the job did not end";
  const int status = proc::wait_for(job.launcher);
  return {status, std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count()};
}

TEST_F(DataParallel, KilledRankEndsTheJobAndResumeFinishesIt) {
  const auto dir = testing::fresh_dir("dist_killed_rank");
  const int64_t epochs = 40;
  const auto recipe = tiny_recipe(dir, epochs, 480);
  const auto run = dir / "run";
  const RunningJob job = two_ranks_after_one_epoch(dir, recipe, run, {});
  ASSERT_EQ(job.ranks.size(), 2u);
  const std::vector<pid_t>& ranks = job.ranks;
  const auto killed_at = std::chrono::steady_clock::now();
  ::kill(ranks[1], SIGKILL);
  const auto [status, seconds] = job_end(job, killed_at);
  const std::string log = proc::read_file(dir / "log.txt");
  EXPECT_NE(status, 0) << log;
  EXPECT_LT(seconds, 15.0);
  EXPECT_THAT(log, HasSubstr("rank 1 of 2 (pid " + std::to_string(ranks[1]) + ") was killed by signal 9"));
  for (pid_t r : ranks) EXPECT_TRUE(proc::has_ended(r)) << "rank pid " << r << " outlived the job";
  ASSERT_FALSE(std::filesystem::exists(run / "summary.json")) << "the run finished before the kill: " << log;

  // The checkpoint of the last finished epoch resumes, here on one process (another world size).
  const proc::ProgramRun resumed = proc::run_program(train_command(recipe, run, {"--resume"}));
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_THAT(resumed.out, HasSubstr("resuming after epoch"));
  const json summary = read_json_file(run / "summary.json");
  EXPECT_EQ(summary["epochs"], epochs);
  EXPECT_EQ(summary["world_size"], 1);
}

// A rank that stops answering (SIGSTOP: alive, silent) ends the job after --dist-timeout.
TEST_F(DataParallel, HungRankEndsTheJobAfterTheTimeout) {
  const auto dir = testing::fresh_dir("dist_hung_rank");
  const auto recipe = tiny_recipe(dir, 40, 480);
  const auto run = dir / "run";
  const RunningJob job = two_ranks_after_one_epoch(dir, recipe, run, {"--dist-timeout", "3"});
  ASSERT_EQ(job.ranks.size(), 2u);
  const std::vector<pid_t>& ranks = job.ranks;
  const auto stopped_at = std::chrono::steady_clock::now();
  ::kill(ranks[1], SIGSTOP);
  const auto [status, seconds] = job_end(job, stopped_at);
  const std::string log = proc::read_file(dir / "log.txt");
  EXPECT_NE(status, 0) << log;
  EXPECT_LT(seconds, 3 + 5) << "the timeout is 3 s";
  EXPECT_THAT(log, HasSubstr("rank 0 of 2: the all-reduce over 2 ranks (gloo) failed"));
  EXPECT_THAT(log, HasSubstr("did not answer within 3 s"));
  for (pid_t r : ranks) EXPECT_TRUE(proc::has_ended(r)) << "rank pid " << r << " outlived the job";
}

// A rank started by hand with torchrun's variables, --dist-timeout 2.
proc::ProgramRun lone_rank(const std::filesystem::path& recipe, const std::filesystem::path& out, int rank, int world,
                           int port) {
  proc::ProgramOptions o;
  o.environment = {"RANK=" + std::to_string(rank), "WORLD_SIZE=" + std::to_string(world), "LOCAL_RANK=0",
                   "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port)};
  return proc::run_program(train_command(recipe, out, {"--dist-timeout", "2"}), o);
}

TEST_F(DataParallel, MissingRanksUnreachableMasterAndBusyPortAreClearErrors) {
  const auto dir = testing::fresh_dir("dist_rendezvous");
  const auto recipe = tiny_recipe(dir, 1, 64);
  const auto started = std::chrono::steady_clock::now();
  const proc::ProgramRun alone = lone_rank(recipe, dir / "a", 0, 2, support::free_tcp_port("127.0.0.1"));
  EXPECT_EQ(alone.status, 1);
  EXPECT_THAT(alone.err, HasSubstr("rank 0 of 2: "));
  EXPECT_THAT(alone.err, HasSubstr("not all 2 ranks"));
  const proc::ProgramRun client = lone_rank(recipe, dir / "b", 1, 2, support::free_tcp_port("127.0.0.1"));
  EXPECT_EQ(client.status, 1);
  EXPECT_THAT(client.err, HasSubstr("rank 1 of 2: could not reach rank 0's rendezvous at 127.0.0.1:"));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), 30.0);

  // A port another program listens on.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const proc::ProgramRun busy = lone_rank(recipe, dir / "c", 0, 2, ntohs(a.sin_port));
  ::close(fd);
  EXPECT_EQ(busy.status, 1);
  EXPECT_THAT(busy.err, HasSubstr("is the port in use?"));
}

}  // namespace
}  // namespace gem::train
