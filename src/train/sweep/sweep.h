// gem-sweep run: a recipe over activation specs x seeds, one run folder each (run_dir.h).
// Resumable: a finished run made with the same options is skipped, a run with a checkpoint
// continues from it, anything else starts; a folder holding a run made with other options is an
// error before anything trains (or, with restart_changed, is trained afresh). One sweep at a
// time writes <out>/<recipe> (its .lock). The plan is recorded in <out>/<recipe>/sweep.json (the
// report lists activations in that order). In a sweep each run prints one progress line per
// epoch unless the recipe or a flag sets log_every.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "src/train/trainer/recipe.h"
#include "src/train/trainer/run_folder.h"
#include "src/train/trainer/run_training.h"

namespace gem::train {

struct SweepOptions {
  std::string recipe;                                      // name or path of a recipe file
  std::filesystem::path recipes_dir;                       // where names are looked up
  std::vector<std::string> activations;                    // empty: the recipe's
  std::vector<int64_t> seeds;                              // empty: the recipe's
  nlohmann::json overrides = nlohmann::json::object();     // training fields from flags
  std::filesystem::path out = "runs";
  bool restart_changed = false;  // train afresh the runs whose folder holds other options
};

struct PlannedRun {
  std::string activation;  // canonical spec
  int64_t seed = 0;
  std::filesystem::path dir;
  RunRequest request;
};

struct SweepPlan {
  Recipe recipe;
  std::filesystem::path root;  // <out>/<recipe>
  std::vector<PlannedRun> runs;
};

/// Resolves and validates every run's options up front, and compares them with what the run
/// folders hold, so a bad override or a changed option fails before any training. Throws
/// std::invalid_argument (naming the folders and the options that differ).
SweepPlan plan_sweep(const SweepOptions& options);

/// True when `request.out` holds the finished run `request` asks for (same recipe and options).
bool run_finished(const RunRequest& request);

/// Trains one run and returns its summary; `log` receives its progress.
using Runner = std::function<nlohmann::json(const RunRequest&, std::ostream& log)>;

/// Runs in this process (run_training), all runs sharing one DataCache. One job at a time.
Runner in_process_runner();

/// The command line of a worker process that trains one request in request.out and writes its
/// summary.json there (apps/train_cli/train_command.h builds gem-train's).
using CommandLine = std::function<std::vector<std::string>(const RunRequest&)>;

/// Runs each as the child process `command(request)`; its output is appended to <out>/train.log.
/// The child dies with this process (even on SIGKILL). Safe to call from several threads
/// (jobs > 1).
Runner process_runner(CommandLine command);

struct SweepResult {
  int ran = 0, skipped = 0;
  std::vector<std::string> diverged;  // "activation seed S: why" (trained now or before)
  std::vector<std::string> failures;  // "activation seed S: message"
  int interrupted = 0;                // the signal (SIGINT, SIGTERM) that stopped the sweep, or 0
};

/// Runs the plan, `jobs` runs at a time (jobs > 1 needs a runner that may be called from several
/// threads, such as process_runner). Progress: with one job, each run's own lines go to its
/// train.log and to `log`; with more, `log` gets a line when a run starts and ends. A failing
/// or diverging run is reported and the sweep goes on; the result lists them. With jobs > 1,
/// SIGINT and SIGTERM stop the sweep: running children get SIGTERM (their checkpoints stay, a
/// rerun resumes them), no new run starts, and the result says which signal it was. Throws
/// support::FolderBusy when another sweep writes <out>/<recipe>.
SweepResult run_sweep(const SweepPlan& plan, std::ostream& log, const Runner& runner, int jobs = 1);

}  // namespace gem::train
