// gem-sweep: a recipe over activations x seeds, and the report of the runs.
//   gem-sweep run --recipe fashion-local [--act SPEC]... [--seeds 1,2,3] [--out runs] [fields...]
//   gem-sweep report [--in runs]... [--out results/report]
//   gem-sweep speed --recipe fashion-local [--act SPEC]...
//   gem-sweep recipes
// parse (CLI11) -> options -> src/train/sweep (plan_sweep, run_sweep) / src/train/report.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/train/report/write_report.h"
#include "src/train/sweep/speed.h"
#include "src/train/sweep/sweep.h"
#include "src/train/trainer/error_message.h"
#include "apps/tool_main.h"
#include "apps/train_cli/train_command.h"
#include "src/train/trainer/memory_tuning.h"
#include "src/train/trainer/recipe.h"

namespace {

using gem::apps::kExitFailure;  // a run or the report failed

std::filesystem::path beside_this_program(const std::string& name) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot locate gem-sweep itself (" + ec.message() + "); pass --gem-train PATH");
  return self.parent_path() / name;
}

int list_recipes(const std::string& dir) {
  for (const std::string& name : gem::train::recipe_names(dir)) {
    const gem::train::Recipe r = gem::train::load_recipe(name, dir);
    std::cout << name << ": " << r.activations.size() << " activations x " << r.seeds.size() << " seeds\n  "
              << r.description << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  gem::support::check_standard_output();
  CLI::App app{"gem-sweep: train a recipe over activations x seeds (resumable) and report the results"};
  app.require_subcommand(1);
  std::string recipes_dir = gem::train::default_recipes_dir().string();
  app.add_option("--recipes-dir", recipes_dir, "Where recipe names are looked up")->capture_default_str();

  // gem-sweep run
  gem::train::SweepOptions sweep;
  std::string sweep_out = sweep.out.string();
  CLI::App* run = app.add_subcommand("run", "Train every activation x seed of a recipe; finished runs are skipped");
  run->add_option("--recipe", sweep.recipe, "Recipe name (experiments/<name>.json) or path")->required();
  run->add_option("--act", sweep.activations, "Activation spec, repeat for several (default: the recipe's list)");
  run->add_option("--seeds", sweep.seeds, "Seeds, comma-separated (default: the recipe's)")->delimiter(',');
  run->add_option("--out", sweep_out, "Runs go to <out>/<recipe>/<activation>/seed-<s>")->capture_default_str();
  int jobs = 1;
  std::string gem_train;
  run->add_option("--jobs", jobs,
                  "Runs at a time; above 1 each run is a gem-train process (give each --threads 1)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  int nproc_per_run = 1;
  run->add_option("--nproc-per-run", nproc_per_run,
                  "Train each run on this many local ranks (gem-train --nproc-per-node; processes, not in-process)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  run->add_option("--gem-train", gem_train,
                  "gem-train program for --jobs > 1 or --nproc-per-run > 1 (default: beside gem-sweep)");
  run->add_flag("--restart-changed", sweep.restart_changed,
                "Train afresh the runs whose folder holds a run made with other options (default: refuse)");
  gem::train_cli::FieldFlags fields(*run, {"activation", "seed"});
  run->footer("Each run's progress is also in its train.log; one line per epoch unless --log-every is given.");

  // gem-sweep report
  gem::train::ReportOptions report;
  std::vector<std::string> report_in{"runs"};
  std::string report_out = report.out.string();
  bool no_plots = false;
  CLI::App* rep = app.add_subcommand("report", "Markdown + CSV tables (mean +- std over seeds) and PNG plots");
  rep->add_option("--in", report_in, "Folders with runs (a sweep's --out), repeat for several")->capture_default_str();
  rep->add_option("--out", report_out, "Folder for report.md, report.csv and the PNGs")->capture_default_str();
  rep->add_option("--gnuplot", report.gnuplot, "gnuplot program (a name on PATH or a path)")->capture_default_str();
  rep->add_flag("--no-plots", no_plots, "Tables only (no gnuplot needed)");
  rep->add_option("--machine", report.machine, "Machine description for the report (default: from /proc/cpuinfo)");

  // gem-sweep speed
  std::string speed_recipe;
  std::vector<std::string> speed_acts{"relu", "egem:N=1,eps=1e-4", "gem:N=1", "gem:N=3", "segem:N=1,eps=1e-4"};
  gem::train::SpeedOptions speed_opt;
  CLI::App* speed = app.add_subcommand(
      "speed", "Training throughput of activations on a recipe's model, steps interleaved in one process");
  speed->add_option("--recipe", speed_recipe, "Recipe name or path (model, data, batch size, threads)")->required();
  speed->add_option("--act", speed_acts, "Activation spec, repeat for several; ratios are to the first")
      ->capture_default_str();
  speed->add_option("--rounds", speed_opt.rounds, "Rounds (each times every activation once)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  speed->add_option("--steps", speed_opt.steps, "Timed optimizer steps per activation and round")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  speed->add_option("--warmup-steps", speed_opt.warmup_steps, "Untimed steps per activation first")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  gem::train_cli::FieldFlags speed_fields(*speed, {"activation"});

  CLI::App* recipes = app.add_subcommand("recipes", "List the recipes with their descriptions");

  const gem::apps::ToolFrame frame{"gem-sweep", true,
                                   [](const std::exception& e) { return gem::train::error_message(e); }};
  return gem::apps::run_tool(app, argc, argv, frame, [&] {
    if (*recipes) return list_recipes(recipes_dir);
    if (*speed) {
      const gem::train::Recipe recipe = gem::train::load_recipe(speed_recipe, recipes_dir);
      const gem::train::TrainOptions base = gem::train::resolve_options(recipe, speed_fields.overrides());
      gem::train::keep_freed_memory();
      const auto rows = gem::train::measure_speed(base, speed_acts, speed_opt, std::cerr);
      std::cout << "Training throughput on " << recipe.name << " (" << base.model << ", batch " << base.batch_size
                << ", " << (base.threads > 0 ? std::to_string(base.threads) : std::string("all")) << " threads; "
                << speed_opt.rounds << " rounds x " << speed_opt.steps << " steps per activation)\n\n";
      gem::train::write_speed_table(rows, std::cout);
      return 0;
    }
    if (*run) {
      sweep.recipes_dir = recipes_dir;
      sweep.out = sweep_out;
      sweep.overrides = fields.overrides();
      const gem::train::SweepPlan plan = gem::train::plan_sweep(sweep);
      gem::train::keep_freed_memory();
      const std::filesystem::path worker =
          gem_train.empty() ? beside_this_program("gem-train") : std::filesystem::path(gem_train);
      const gem::train::Runner runner = jobs == 1 && nproc_per_run == 1
                                            ? gem::train::in_process_runner()
                                            : gem::train_cli::gem_train_runner(worker, plan.recipe.file, nproc_per_run);
      const gem::train::SweepResult result = gem::train::run_sweep(plan, std::cout, runner, jobs);
      if (result.interrupted != 0) return 128 + result.interrupted;
      return result.failures.empty() && result.diverged.empty() ? 0 : kExitFailure;
    }
    report.inputs.assign(report_in.begin(), report_in.end());
    report.out = report_out;
    report.plots = !no_plots;
    gem::train::write_report(report, std::cout);
    return 0;
  });
}
