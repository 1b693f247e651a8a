// Sweeps: every activation x seed runs once; a second sweep skips the finished runs; a run
// without a summary is completed; the report's tables from known summaries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "src/train/report/aggregate.h"
#include "src/train/report/collect.h"
#include "src/train/report/curves_plot.h"
#include "src/train/report/tables.h"
#include "src/train/report/write_report.h"
#include "src/train/sweep/run_dir.h"
#include "apps/train_cli/train_command.h"
#include "src/train/sweep/speed.h"
#include "src/train/sweep/sweep.h"
#include "src/train/trainer/json_files.h"
#include "train/data_files.h"
#include "src/support/process.h"

namespace gem::train {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(RunDir, SlugIsTheCanonicalSpecAsAFolderName) {
  EXPECT_EQ(activation_slug("egem:N=1,eps=1e-4"), "egem_N1_eps1e-4");
  EXPECT_EQ(activation_slug("leaky_relu"), "leaky_relu");
  EXPECT_EQ(run_dir("runs", "r", "gem:N=2", 3), std::filesystem::path("runs/r/gem_N2/seed-3"));
}

/// Writes `recipe` (JSON text) to dir/<name>.json; the options of a sweep of it into dir/<out>.
SweepOptions sweep_of(const std::filesystem::path& dir, const std::string& name, const std::string& recipe,
                      const std::string& out) {
  std::ofstream(dir / (name + ".json")) << recipe;
  SweepOptions o;
  o.recipe = (dir / (name + ".json")).string();
  o.out = dir / out;
  return o;
}

TEST(Sweep, RunsEachOnceThenSkipsFinishedRuns) {
  const auto dir = testing::fresh_dir("sweep");
  testing::write_tiny_idx_dataset(dir / "data", 64, 20);
  SweepOptions o = sweep_of(dir, "tiny", R"({
    "description": "tiny sweep for the tests",
    "train": {"dataset": "mnist", "data_dir": "data", "model": "mlp", "hidden": [8], "epochs": 1,
              "batch_size": 16, "lr": 0.05, "threads": 1},
    "activations": ["relu", "segem:N=1,eps=1e-2"],
    "seeds": [1, 2]
  })",
                            "runs");
  const SweepPlan plan = plan_sweep(o);
  ASSERT_EQ(plan.runs.size(), 4u);
  EXPECT_EQ(plan.runs[1].dir, dir / "runs/tiny/relu/seed-2");
  EXPECT_EQ(plan.runs[2].request.options.activation, "segem:N=1,eps=0.01");
  EXPECT_EQ(plan.runs[0].request.options.log_every, 0);

  std::ostringstream log;
  const SweepResult first = run_sweep(plan, log, in_process_runner());
  EXPECT_EQ(first.ran, 4);
  EXPECT_EQ(first.skipped, 0);
  EXPECT_TRUE(first.failures.empty()) << log.str();
  for (const auto& run : plan.runs) {
    EXPECT_TRUE(run_finished(run.request));
    EXPECT_TRUE(std::filesystem::exists(run.dir / "train.log"));
  }

  int calls = 0;
  const Runner counting = [&](const RunRequest&, std::ostream&) {
    ++calls;
    return json();
  };
  const SweepResult second = run_sweep(plan, log, counting);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(second.skipped, 4);

  // A run whose summary is gone is run again (here: completed from its checkpoint).
  std::filesystem::remove(plan.runs[3].dir / "summary.json");
  const SweepResult third = run_sweep(plan, log, in_process_runner());
  EXPECT_EQ(third.ran, 1);
  EXPECT_EQ(third.skipped, 3);
  EXPECT_TRUE(run_finished(plan.runs[3].request));

  // The report reads them back in the sweep's order.
  const auto recipes = collect_runs({dir / "runs"});
  ASSERT_EQ(recipes.size(), 1u);
  EXPECT_EQ(recipes[0].rows, (std::vector<std::string>{"relu", "segem:N=1,eps=0.01"}));
  EXPECT_EQ(recipes[0].runs.size(), 4u);
}

TEST(Sweep, FailingRunIsReportedAndTheSweepGoesOn) {
  const auto dir = testing::fresh_dir("sweep_fail");
  SweepOptions o = sweep_of(dir, "nodata", R"({"train": {"dataset": "mnist", "data_dir": "missing"},
                                           "activations": ["relu", "gelu"], "seeds": [1]})",
                            "runs");
  std::ostringstream log;
  const SweepResult r = run_sweep(plan_sweep(o), log, in_process_runner());
  EXPECT_EQ(r.ran, 0);
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_THAT(r.failures[0], HasSubstr("does not exist"));
}

TEST(Sweep, ParallelProcessesGiveTheInProcessMetrics) {
  const auto dir = testing::fresh_dir("sweep_jobs");
  testing::write_tiny_idx_dataset(dir / "data", 64, 20);
  SweepOptions o = sweep_of(dir, "tiny", R"({
    "train": {"dataset": "mnist", "data_dir": "data", "model": "cnn", "width": 2, "hidden": [8], "epochs": 2,
              "batch_size": 16, "lr": 0.05, "threads": 1, "augment_flip": true},
    "activations": ["egem:N=1,eps=1e-4", "gelu"],
    "seeds": [1, 2]
  })",
                            "in-process");
  std::ostringstream log;
  EXPECT_EQ(run_sweep(plan_sweep(o), log, in_process_runner()).ran, 4) << log.str();
  o.out = dir / "processes";
  const SweepPlan plan = plan_sweep(o);
  const SweepResult r = run_sweep(
      plan, log, train_cli::gem_train_runner(std::filesystem::path(GEM_BINARY_DIR) / "bin/gem-train", plan.recipe.file),
      2);
  EXPECT_EQ(r.ran, 4) << log.str();
  for (const auto& run : plan.runs) {
    const auto twin = run_dir(dir / "in-process", "tiny", run.activation, run.seed);
    EXPECT_EQ(read_json_lines(run.dir / "metrics.jsonl").size(), 2u);
    std::vector<json> a, b;
    for (const auto& line : read_json_lines(run.dir / "metrics.jsonl")) a.push_back(reproducible_part(epoch_metrics_from_json(line)));
    for (const auto& line : read_json_lines(twin / "metrics.jsonl")) b.push_back(reproducible_part(epoch_metrics_from_json(line)));
    EXPECT_EQ(a, b) << run.activation << " seed " << run.seed;
  }
}

TEST(Speed, EveryActivationTimedEveryRound) {
  const auto dir = testing::fresh_dir("speed");
  testing::write_tiny_idx_dataset(dir / "data", 64, 20);
  TrainOptions o;
  o.dataset = "mnist";
  o.data_dir = (dir / "data").string();
  o.model = "mlp";
  o.image_model.hidden = {8};
  o.batch_size = 16;
  o.threads = 1;
  SpeedOptions s;
  s.rounds = 3;
  s.steps = 2;
  std::ostringstream log;
  const auto rows = measure_speed(o, {"relu", "egem:N=1,eps=1e-4"}, s, log);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].activation, "egem:N=1,eps=1e-4");
  for (const auto& r : rows) {
    EXPECT_EQ(r.samples_per_second.size(), 3u);
    EXPECT_GT(r.median, 0);
  }
  EXPECT_DOUBLE_EQ(rows[0].ratio, 1.0);
  std::ostringstream table;
  write_speed_table(rows, table);
  EXPECT_THAT(table.str(), HasSubstr("| egem:N=1,eps=1e-4 | "));
}

// Two activations, known numbers: relu seeds 1, 2, 3; gem:N=1 seed 1 only.
void write_known_run(const std::filesystem::path& root, const std::string& act, int64_t seed, double acc,
                     double loss, double seconds, double throughput) {
  const auto dir = run_dir(root, "known", act, seed);
  json summary = {{"recipe", "known"}, {"activation", act}, {"seed", seed}, {"epochs", 2},
                  {"seconds", seconds}, {"test_accuracy", acc}, {"best_test_accuracy", acc + 0.01},
                  {"test_loss", loss}, {"best_test_loss", loss - 0.1}, {"dead_fraction", 0.25},
                  {"samples_per_second", throughput}};
  write_json_atomically(dir / "summary.json", summary);
  std::vector<json> lines;
  for (int e = 1; e <= 2; ++e) {
    EpochMetrics m;
    m.epoch = e;
    m.test_accuracy = acc - 0.1 * (2 - e);
    m.test_loss = loss + 0.5 * (2 - e);
    lines.push_back(to_json(m));
  }
  write_json_lines_atomically(dir / "metrics.jsonl", lines);
}

std::filesystem::path known_runs(const std::string& name) {
  const auto root = testing::fresh_dir(name);
  write_known_run(root, "relu", 1, 0.90, 0.30, 10, 1000);
  write_known_run(root, "relu", 2, 0.92, 0.40, 12, 1100);
  write_known_run(root, "relu", 3, 0.94, 0.50, 14, 1200);
  write_known_run(root, "gem:N=1", 1, 0.80, 0.60, 20, 990);
  return root;
}

TEST(Report, TablesFromKnownRuns) {
  const auto recipes = collect_runs({known_runs("report_known_tables")});
  ASSERT_EQ(recipes.size(), 1u);
  EXPECT_EQ(recipes[0].rows, (std::vector<std::string>{"relu", "gem:N=1"}));  // kind order without sweep.json
  const RecipeTable t = aggregate(recipes[0]);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_NEAR(t.rows[0].test_accuracy.mean, 0.92, 1e-12);
  EXPECT_NEAR(t.rows[0].test_accuracy.std, 0.02, 1e-12);  // sample std of .90 .92 .94
  EXPECT_EQ(t.rows[0].test_accuracy.n, 3);
  EXPECT_EQ(t.baseline, "relu");
  EXPECT_NEAR(t.rows[1].throughput_vs_baseline, 0.9, 1e-12);

  std::ostringstream md;
  write_markdown_table(t, "known-curves.png", md);
  EXPECT_THAT(md.str(), HasSubstr("| relu | 1,2,3 | 92.00 ± 2.00 | 93.00 ± 2.00 | 0.4000 ± 0.1000 | 0.3000 ± 0.1000 "
                                  "| 25.00 ± 0.00 | 12.0 ± 2.0 | 1100 ± 100 | 1.000 |"));
  EXPECT_THAT(md.str(), HasSubstr("| gem:N=1 | 1 | 80.00 | 81.00 | 0.6000 | 0.5000 | 25.00 | 20.0 | 990 | 0.900 |"));
  EXPECT_THAT(md.str(), HasSubstr("![known: test accuracy and loss per epoch](known-curves.png)"));

  std::ostringstream csv;
  write_csv_tables({t}, csv);
  std::istringstream lines(csv.str());
  std::string header, relu, gem;
  std::getline(lines, header);
  std::getline(lines, relu);
  std::getline(lines, gem);
  EXPECT_EQ(header,
            "recipe,activation,runs,seeds,test_accuracy_mean,test_accuracy_std,best_test_accuracy_mean,"
            "best_test_accuracy_std,test_loss_mean,test_loss_std,best_test_loss_mean,best_test_loss_std,"
            "dead_fraction_mean,dead_fraction_std,seconds_mean,seconds_std,samples_per_second_mean,"
            "samples_per_second_std,throughput_baseline,throughput_vs_baseline,val_perplexity_mean,val_perplexity_std,"
            "unigram_perplexity_mean,unigram_perplexity_std,options,diverged_seeds");
  EXPECT_EQ(relu, "known,relu,3,1 2 3,0.92,0.02,0.93,0.02,0.4,0.1,0.3,0.1,0.25,0,12,2,1100,100,relu,1,,,,,,");
  EXPECT_EQ(gem, "known,gem:N=1,1,1,0.8,,0.81,,0.6,,0.5,,0.25,,20,,990,,relu,0.9,,,,,,");

  const auto curves = mean_curves(recipes[0]);
  ASSERT_EQ(curves.size(), 2u);
  EXPECT_EQ(curves[0].epochs, (std::vector<int64_t>{1, 2}));
  EXPECT_NEAR(curves[0].test_accuracy[0], 0.82, 1e-12);
  EXPECT_NEAR(curves[0].test_loss[1], 0.40, 1e-12);
}

TEST(Report, WritesMarkdownCsvAndPlots) {
  if (gem::support::find_executable("gnuplot").empty()) GTEST_SKIP() << "gnuplot is not installed";
  ReportOptions o;
  o.inputs = {known_runs("report_known_files")};
  o.out = testing::fresh_dir("report_files");
  o.machine = "test machine";
  o.date = "2000-01-01 00:00 UTC";
  std::ostringstream log;
  const ReportFiles files = write_report(o, log);
  const std::string md = [&] {
    std::ifstream in(files.markdown);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }();
  EXPECT_THAT(md, HasSubstr("Made 2000-01-01 00:00 UTC on test machine"));
  EXPECT_THAT(md, HasSubstr("## known"));
  ASSERT_EQ(files.images.size(), 2u);  // known-curves.png, activations.png
  for (const auto& png : files.images) {
    std::ifstream in(png, std::ios::binary);
    char head[8] = {};
    in.read(head, 8);
    EXPECT_EQ(std::string(head + 1, 3), "PNG") << png;
  }
}

// Decoder runs: two seeds of gelu, one of its gated form.
void write_lm_run(const std::filesystem::path& root, const std::string& act, int64_t seed, double val_loss) {
  const auto dir = run_dir(root, "lm", act, seed);
  const json options = {{"model", "gpt"}, {"layers", 2}, {"heads", 2}, {"embed_dim", 32}, {"context", 16},
                        {"dataset", "python-docs"}, {"epochs", 1}, {"steps_per_epoch", 10}, {"batch_size", 4},
                        {"optimizer", "adamw"}, {"lr", 0.001}, {"schedule", "cosine"}, {"weight_decay", 0.1}};
  json summary = {{"recipe", "lm"}, {"activation", act}, {"seed", seed}, {"epochs", 1}, {"seconds", 5.0},
                  {"test_accuracy", 0.2}, {"best_test_accuracy", 0.2}, {"test_loss", val_loss},
                  {"best_test_loss", val_loss}, {"dead_fraction", 0.0}, {"samples_per_second", 1000.0},
                  {"val_loss", val_loss}, {"val_perplexity", std::exp(val_loss)}, {"unigram_perplexity", 400.0},
                  {"options", options}, {"parameters", 12345}, {"train_tokens", 1000}, {"val_tokens", 100},
                  {"vocab_size", 512}};
  write_json_atomically(dir / "summary.json", summary);
}

TEST(Report, LanguageModelTablesShowPerplexityAgainstTheUnigramBaseline) {
  const auto root = testing::fresh_dir("report_lm");
  write_lm_run(root, "gelu", 1, std::log(100.0));
  write_lm_run(root, "gelu", 2, std::log(120.0));
  write_lm_run(root, "glu-gelu", 1, std::log(90.0));
  const auto recipes = collect_runs({root});
  ASSERT_EQ(recipes.size(), 1u);
  EXPECT_EQ(recipes[0].rows, (std::vector<std::string>{"gelu", "glu-gelu"}));  // gated forms last
  const RecipeTable t = aggregate(recipes[0]);
  EXPECT_TRUE(t.language);
  EXPECT_NEAR(t.rows[0].val_perplexity.mean, 110.0, 1e-9);
  EXPECT_EQ(t.rows[1].val_perplexity.n, 1);
  std::ostringstream md;
  write_markdown_table(t, "", md);
  EXPECT_THAT(md.str(), HasSubstr("| activation | seeds | final val loss | best val loss | val perplexity | unigram "
                                  "perplexity | val token acc % |"));
  EXPECT_THAT(md.str(), HasSubstr("| glu-gelu | 1 | 4.4998 | 4.4998 | 90.00 | 400.0 | 20.00 |"));
  EXPECT_THAT(md.str(), HasSubstr("| train tokens/s | vs GELU |"));  // no relu in the recipe
  EXPECT_EQ(t.baseline, "gelu");
  EXPECT_THAT(md.str(), HasSubstr("gpt (2 layers, 2 heads, width 32, context 16, 12345 parameters) on python-docs"));
  std::ostringstream csv;
  write_csv_tables({t}, csv);
  EXPECT_THAT(csv.str(), HasSubstr(",110,14.14213562,400,0,,\n"));
}

TEST(Report, NoRunsIsAnError) {
  ReportOptions o;
  o.inputs = {testing::fresh_dir("report_empty")};
  o.plots = false;
  std::ostringstream log;
  EXPECT_THROW(write_report(o, log), std::runtime_error);
}

}  // namespace
}  // namespace gem::train
