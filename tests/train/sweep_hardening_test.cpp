// Sweeps and reports under hostile conditions: changed options are refused (or restarted on
// request), a signalled or killed sweep leaves no worker running, one sweep per folder; the
// report reads run folders as untrusted data, never averages runs of different options, never
// counts a run twice and shows diverged runs as such.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <sstream>

#include "common/run_program.h"
#include "src/support/folder_lock.h"
#include "src/support/process.h"
#include "src/train/report/aggregate.h"
#include "src/train/report/collect.h"
#include "src/train/report/tables.h"
#include "src/train/report/write_report.h"
#include "src/train/sweep/run_dir.h"
#include "src/train/sweep/sweep.h"
#include "src/train/trainer/json_files.h"
#include "src/train/trainer/metrics.h"
#include "train/data_files.h"

namespace gem::train {
namespace {

namespace proc = gem::testing;  // child processes (common/run_program.h)

using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;

using testing::error_of;

// A tiny recipe over two activations and one seed, `epochs` long.
std::filesystem::path tiny_recipe(const std::filesystem::path& dir, int64_t epochs) {
  testing::write_tiny_idx_dataset(dir / "data", 64, 20);
  std::ofstream(dir / "tiny.json") << json{{"train",
                                            {{"dataset", "mnist"},
                                             {"data_dir", "data"},
                                             {"model", "mlp"},
                                             {"hidden", {8}},
                                             {"epochs", epochs},
                                             {"batch_size", 16},
                                             {"lr", 0.05},
                                             {"threads", 1}}},
                                           {"activations", {"relu", "gelu"}},
                                           {"seeds", {1}}}
                                              .dump();
  return dir / "tiny.json";
}

SweepOptions sweep_of(const std::filesystem::path& recipe, const std::filesystem::path& out) {
  SweepOptions o;
  o.recipe = recipe.string();
  o.out = out;
  return o;
}

TEST(SweepHardening, ChangedOptionsAreRefusedBeforeAnythingTrains) {
  const auto dir = testing::fresh_dir("sweep_changed");
  const auto recipe = tiny_recipe(dir, 1);
  std::ostringstream log;
  EXPECT_EQ(run_sweep(plan_sweep(sweep_of(recipe, dir / "runs")), log, in_process_runner()).ran, 2);
  SweepOptions changed = sweep_of(recipe, dir / "runs");
  changed.overrides = {{"epochs", 2}, {"lr", 0.2}};
  // Was: "0 ran, 2 skipped", the old results kept as if they were these.
  EXPECT_THAT(error_of([&] { plan_sweep(changed); }),
              AllOf(HasSubstr("2 of the 2 run folders hold runs made with other options"),
                    HasSubstr("epochs: recorded 1, now 2 (and 1 more)"), HasSubstr("--restart-changed")));
  changed.restart_changed = true;
  const SweepResult again = run_sweep(plan_sweep(changed), log, in_process_runner());
  EXPECT_EQ(again.ran, 2);
  EXPECT_EQ(read_json_file(run_dir(dir / "runs", "tiny", "relu", 1) / "summary.json")["options"]["lr"], 0.2);
  // The same options again: skipped, nothing restarted.
  EXPECT_EQ(run_sweep(plan_sweep(changed), log, in_process_runner()).skipped, 2);
}

TEST(SweepHardening, DivergedRunsAreCountedAsSuchAndNotRetried) {
  const auto dir = testing::fresh_dir("sweep_diverged");
  SweepOptions o = sweep_of(tiny_recipe(dir, 2), dir / "runs");
  o.overrides = {{"lr", 1e6}};
  std::ostringstream log;
  const SweepResult first = run_sweep(plan_sweep(o), log, in_process_runner());
  EXPECT_EQ(first.ran, 0);
  ASSERT_EQ(first.diverged.size(), 2u) << log.str();
  EXPECT_THAT(first.diverged[0], HasSubstr("relu seed 1: training diverged: the "));
  EXPECT_TRUE(first.failures.empty());
  const SweepResult second = run_sweep(plan_sweep(o), log, in_process_runner());
  EXPECT_EQ(second.skipped, 2);
  EXPECT_EQ(second.diverged.size(), 2u);  // still reported: the sweep's outcome has not changed
  EXPECT_THAT(log.str(), HasSubstr("finished before (diverged), skipped"));
}

TEST(SweepHardening, OneSweepPerFolder) {
  const auto dir = testing::fresh_dir("sweep_locked");
  const auto recipe = tiny_recipe(dir, 1);
  const support::FolderLock other(dir / "runs" / "tiny", "gem-sweep run tiny");
  std::ostringstream log;
  EXPECT_THAT(error_of([&] { run_sweep(plan_sweep(sweep_of(recipe, dir / "runs")), log, in_process_runner()); }),
              HasSubstr("is in use by gem-sweep run tiny"));
}

// Starts `gem-sweep run --jobs 2` on a long recipe and returns its PID and its two workers'.
struct RunningSweep {
  pid_t sweep = 0;
  std::vector<pid_t> workers;
};
RunningSweep start_long_sweep(const std::filesystem::path& dir) {
  const auto recipe = tiny_recipe(dir, 1000000);
  RunningSweep s;
  s.sweep = proc::spawn_program({std::string(GEM_BINARY_DIR) + "/bin/gem-sweep", "run", "--recipe", recipe.string(),
                                 "--out", (dir / "runs").string(), "--jobs", "2"},
                                dir / "sweep.log");
  // Each worker writes its PID into its run folder's lock file once it holds it.
  for (const char* act : {"relu", "gelu"}) {
    const auto lock = run_dir(dir / "runs", "tiny", act, 1) / support::FolderLock::kFileName;
    pid_t pid = 0;
    proc::eventually([&] {
      std::ifstream in(lock);
      return static_cast<bool>(in >> pid) && pid > 0;
    });
    s.workers.push_back(pid);
  }
  return s;
}

TEST(SweepHardening, SigtermEndsTheWorkersAndTheSweep) {
  const auto dir = testing::fresh_dir("sweep_sigterm");
  const RunningSweep s = start_long_sweep(dir);
  ASSERT_GT(s.workers[0], 0);
  ASSERT_GT(s.workers[1], 0);
  ::kill(s.sweep, SIGTERM);
  EXPECT_EQ(proc::wait_for(s.sweep), 128 + SIGTERM);
  for (pid_t w : s.workers) EXPECT_TRUE(proc::eventually([&] { return proc::has_ended(w); }, 5)) << "worker " << w;
  EXPECT_THAT(proc::read_file(dir / "sweep.log"), HasSubstr("stopped by signal 15 (SIGTERM)"));
}

TEST(SweepHardening, KilledSweepTakesItsWorkersWithIt) {
  const auto dir = testing::fresh_dir("sweep_sigkill");
  const RunningSweep s = start_long_sweep(dir);
  ASSERT_GT(s.workers[0], 0);
  ::kill(s.sweep, SIGKILL);
  EXPECT_EQ(proc::wait_for(s.sweep), 128 + SIGKILL);
  for (pid_t w : s.workers) {
    const bool ended = proc::eventually([&] { return proc::has_ended(w); }, 5);
    EXPECT_TRUE(ended) << "worker " << w << " outlived its sweep";
    if (!ended) ::kill(w, SIGKILL);
  }
}

// ---- The report ----

json known_summary(const std::string& recipe, const std::string& act, int64_t seed, double acc, double lr) {
  return {{"recipe", recipe},
          {"activation", act},
          {"seed", seed},
          {"epochs", 2},
          {"seconds", 10.0},
          {"test_accuracy", acc},
          {"best_test_accuracy", acc},
          {"test_loss", 0.5},
          {"best_test_loss", 0.5},
          {"dead_fraction", nullptr},
          {"samples_per_second", 1000.0},
          {"options", {{"lr", lr}, {"epochs", 2}, {"activation", act}, {"seed", seed}, {"threads", seed}}}};
}

void write_summary(const std::filesystem::path& dir, const json& summary) {
  write_json_atomically(dir / "summary.json", summary);
}

// A summary with its metrics.jsonl (two epochs), as the report's plots need.
void write_run(const std::filesystem::path& dir, const json& summary) {
  write_summary(dir, summary);
  std::vector<json> lines;
  for (int e = 1; e <= 2; ++e) {
    EpochMetrics m;
    m.epoch = e;
    m.test_accuracy = summary["test_accuracy"].get<double>();
    m.test_loss = summary["test_loss"].get<double>();
    lines.push_back(to_json(m));
  }
  write_json_lines_atomically(dir / "metrics.jsonl", lines);
}

std::string report_error(const std::filesystem::path& root) {
  ReportOptions o;
  o.inputs = {root};
  o.out = root / "report";
  o.plots = false;
  std::ostringstream log;
  return error_of([&] { write_report(o, log); });
}

TEST(ReportHardening, RunsWithOtherOptionsAreNotAveragedTogether) {
  const auto root = testing::fresh_dir("report_options");
  write_summary(root / "a/relu/seed-1", known_summary("r", "relu", 1, 0.90, 0.05));
  write_summary(root / "a/relu/seed-2", known_summary("r", "relu", 2, 0.92, 0.05));  // threads differ: same row
  write_summary(root / "b/relu/seed-1", known_summary("r", "relu", 1, 0.50, 0.2));
  const auto recipes = collect_runs({root});
  ASSERT_EQ(recipes.size(), 1u);
  EXPECT_EQ(recipes[0].rows, (std::vector<std::string>{"relu (lr=0.05)", "relu (lr=0.2)"}));
  EXPECT_EQ(recipes[0].varying_options, std::vector<std::string>{"lr"});
  const RecipeTable t = aggregate(recipes[0]);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_NEAR(t.rows[0].test_accuracy.mean, 0.91, 1e-12);
  EXPECT_EQ(t.rows[1].test_accuracy.n, 1);
  std::ostringstream md;
  write_markdown_table(t, "", md);
  EXPECT_THAT(md.str(), AllOf(HasSubstr("| relu (lr=0.05) | 1,2 | 91.00 ± 1.41"), HasSubstr("| relu (lr=0.2) | 1 | 50.00"),
                              HasSubstr("Its runs were made with different lr")));
  std::ostringstream csv;
  write_csv_tables({t}, csv);
  EXPECT_THAT(csv.str(), HasSubstr(",lr=0.05,\n"));
}

TEST(ReportHardening, ARunFoundTwiceCountsOnce) {
  const auto root = testing::fresh_dir("report_twice");
  write_summary(root / "r/relu/seed-1", known_summary("r", "relu", 1, 0.90, 0.05));
  const auto recipes = collect_runs({root, root / "r", root / "r" / ".." / "r"});
  ASSERT_EQ(recipes.size(), 1u);
  EXPECT_EQ(recipes[0].runs.size(), 1u);  // was: two "seeds" of one run
  // A copy of a run in another folder is the same seed twice: an error naming both.
  write_summary(root / "copy/relu/seed-1", known_summary("r", "relu", 1, 0.90, 0.05));
  EXPECT_THAT(report_error(root), AllOf(HasSubstr("two runs of r relu seed 1"), HasSubstr("copy/relu/seed-1"),
                                         HasSubstr("a seed counts once")));
}

TEST(ReportHardening, SummariesAreUntrustedData) {
  const auto root = testing::fresh_dir("report_hostile");
  const std::string marker = (root / "PWNED").string();
  const auto hostile = [&](const std::string& name, json summary) {
    const auto dir = testing::fresh_dir("report_hostile_" + name);
    write_summary(dir / "x", summary);
    return report_error(dir);
  };
  // Was: gnuplot ran system('touch PWNED') from the recipe name, or wrote outside --out.
  EXPECT_THAT(hostile("newline", known_summary("fl\nsystem('touch " + marker + "')\n", "relu", 1, 0.9, 0.1)),
              AllOf(HasSubstr("recipe name 'fl\\nsystem("), HasSubstr("it is not a file gem-train wrote")));
  EXPECT_THAT(hostile("dotdot", known_summary("../escaped", "relu", 1, 0.9, 0.1)),
              HasSubstr("recipe name '../escaped' must be"));
  EXPECT_THAT(hostile("act", known_summary("r", "relu\n`touch " + marker + "`", 1, 0.9, 0.1)),
              HasSubstr("\"activation\": activation spec"));
  EXPECT_THAT(hostile("noncanonical", known_summary("r", "egem:N=1,eps=1e-2", 1, 0.9, 0.1)),
              HasSubstr("is not in canonical form (egem:N=1,eps=0.01)"));
  json nan_loss = known_summary("r", "relu", 1, 0.9, 0.1);
  nan_loss["test_loss"] = nullptr;  // what a NaN loss became
  EXPECT_THAT(hostile("null", nan_loss), AllOf(HasSubstr("summary.json: \"test_loss\" must be a number in [0, 1e30], got null")));
  json seed = known_summary("r", "relu", 1, 0.9, 0.1);
  seed["seed"] = "1; rm -rf /";
  EXPECT_THAT(hostile("seed", seed), HasSubstr("\"seed\" must be an integer >= 0"));
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_FALSE(std::filesystem::exists(root.parent_path() / "escaped-curves.png"));
}

TEST(ReportHardening, DivergedRunsAreListedAndLeftOutOfTheMeans) {
  const auto root = testing::fresh_dir("report_diverged");
  write_summary(root / "relu/seed-1", known_summary("r", "relu", 1, 0.90, 0.05));
  write_summary(root / "relu/seed-2",
                {{"recipe", "r"},
                 {"activation", "relu"},
                 {"seed", 2},
                 {"diverged", true},
                 {"diverged_reason", "the training loss is nan at epoch 1, step 3"},
                 {"epochs_completed", 0},
                 {"seconds", 1.0},
                 {"options", {{"lr", 0.05}, {"epochs", 2}}}});
  const RecipeTable t = aggregate(collect_runs({root}).at(0));
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].seeds, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(t.rows[0].diverged_seeds, std::vector<int64_t>{2});
  EXPECT_EQ(t.rows[0].test_accuracy.n, 1);
  std::ostringstream md, csv;
  write_markdown_table(t, "", md);
  EXPECT_THAT(md.str(), AllOf(HasSubstr("| relu | 1 (2 diverged) | 90.00 |"), HasSubstr("left out of the means")));
  write_csv_tables({t}, csv);
  EXPECT_THAT(csv.str(), HasSubstr(",,2\n"));
}

TEST(SweepHardening, AWorkerKilledFromOutsideIsAFailure) {
  const auto dir = testing::fresh_dir("sweep_outside");
  const RunningSweep s = start_long_sweep(dir);
  ASSERT_GT(s.workers[0], 0);
  ::kill(s.workers[0], SIGTERM);  // not the sweep's signal
  // Was: "stopped by signal 0", counted as nothing, exit 0 when it was the only run. The sweep reaps the
  // worker on its own schedule, so wait for its report before ending it (a zombie already looks ended).
  const std::string report = "was ended by signal 15 from outside the sweep";
  EXPECT_TRUE(
      proc::eventually([&] { return proc::read_file(dir / "sweep.log").find(report) != std::string::npos; }, 10));
  ::kill(s.sweep, SIGTERM);  // end the other worker and the sweep
  EXPECT_NE(proc::wait_for(s.sweep), 0);
}

TEST(SweepHardening, ARunListedTwiceIsAnError) {
  const auto dir = testing::fresh_dir("sweep_twice");
  SweepOptions o = sweep_of(tiny_recipe(dir, 1), dir / "runs");
  o.activations = {"egem:N=1,eps=1e-2", "egem:N=1,eps=0.01"};
  EXPECT_THAT(error_of([&] { plan_sweep(o); }), HasSubstr("is listed twice (as egem:N=1,eps=0.01)"));
  o.activations = {"relu"};
  o.seeds = {1, 2, 1};
  EXPECT_THAT(error_of([&] { plan_sweep(o); }), HasSubstr("seed 1 is listed twice"));
}

TEST(ReportHardening, IdentityRangesAndTypesAreChecked) {
  const auto hostile = [&](const std::string& name, const json& summary) {
    const auto dir = testing::fresh_dir("report_checked_" + name);
    write_summary(dir / "x", summary);
    return report_error(dir);
  };
  json copy = known_summary("r", "relu", 1, 0.9, 0.1);
  copy["seed"] = 2;  // options still say seed 1: a copy of one run passed off as another seed
  EXPECT_THAT(hostile("seed", copy), HasSubstr("\"seed\" is 2 but its options say 1"));
  json other = known_summary("r", "relu", 1, 0.9, 0.1);
  other["activation"] = "gelu";
  EXPECT_THAT(hostile("act", other), HasSubstr("\"activation\" is gelu but its options say relu"));
  EXPECT_THAT(hostile("acc", known_summary("r", "relu", 1, -5, 0.1)),
              HasSubstr("\"test_accuracy\" must be a number in [0, 1], got -5"));
  json typed = known_summary("r", "relu", 1, 0.9, 0.1);
  typed["options"]["lr"] = "abc";
  EXPECT_THAT(hostile("lr", typed), HasSubstr("lr must be a number, got \"abc\""));
  json count = known_summary("r", "relu", 1, 0.9, 0.1);
  count["train_size"] = "abc";
  EXPECT_THAT(hostile("count", count), HasSubstr("\"train_size\" must be an integer >= 0"));
  const auto dir = testing::fresh_dir("report_checked_metrics");
  write_summary(dir / "x", known_summary("r", "relu", 1, 0.9, 0.1));
  std::ofstream(dir / "x" / "metrics.jsonl") << "{\"x\": \"" << std::string(1000000, 'A') << "\"}\n";
  const std::string message = report_error(dir);
  EXPECT_THAT(message, HasSubstr("metrics.jsonl: line 1"));
  EXPECT_LT(message.size(), 1000u);  // was 1,000,229 bytes
}

TEST(ReportHardening, AFailedReportPublishesNothing) {
  if (support::find_executable("gnuplot").empty()) GTEST_SKIP() << "gnuplot is not installed";
  const auto root = testing::fresh_dir("report_atomic");
  write_run(root / "runs/r/relu/seed-1", known_summary("r", "relu", 1, 0.9, 0.05));
  const std::string sweep = std::string(GEM_BINARY_DIR) + "/bin/gem-sweep";
  const std::vector<std::string> command{sweep, "report", "--in", (root / "runs").string(), "--out",
                                         (root / "report").string()};
  ASSERT_EQ(proc::run_program(command).status, 0);
  const std::string md = proc::read_file(root / "report" / "report.md");
  write_run(root / "runs/r/gelu/seed-1", known_summary("r", "gelu", 1, 0.8, 0.05));
  proc::ProgramOptions full;
  full.file_size_limit = 20000;  // the curves' PNG does not fit
  const auto failed = proc::run_program(command, full);
  EXPECT_EQ(failed.status, 1);
  // Was: new PNGs beside the old tables. Now the previous report stays whole.
  EXPECT_EQ(proc::read_file(root / "report" / "report.md"), md);
  int temporaries = 0;
  for (const auto& e : std::filesystem::directory_iterator(root / "report"))
    temporaries += e.path().filename().string().find(".tmp") != std::string::npos;
  EXPECT_EQ(temporaries, 0);
}

}  // namespace
}  // namespace gem::train
