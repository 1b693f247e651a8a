// gem-train's command line, written once: the flags gem-train parses (add_train_command) and the
// command line gem-sweep runs it with as a worker process (train_command_line), from the same
// flag names, so the two cannot drift apart.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "apps/train_cli/field_flags.h"
#include "src/train/sweep/sweep.h"
#include "src/train/trainer/recipe.h"
#include "src/train/trainer/run_training.h"

namespace gem::train_cli {

/// What gem-train's flags say.
struct TrainCommand {
  std::string recipe;       // a name (experiments/<name>.json) or a path
  std::string recipes_dir;  // where names are looked up
  std::string out;          // the run folder
  bool resume = false, restart = false, print_options = false;
  int64_t stop_after_epochs = 0;
  // Data parallelism (docs/training.md, "More than one process").
  int nproc_per_node = 1;  // > 1: start that many local ranks (a launcher, as torchrun)
  std::string dist_backend = "auto";
  int dist_timeout_seconds = 300;      // rendezvous and every collective
  std::unique_ptr<FieldFlags> fields;  // a flag per training field
};

/// Adds gem-train's flags to `app`, parsed into `command`.
void add_train_command(CLI::App& app, TrainCommand& command);

/// The recipe and the request `command` describes after parsing (the flags applied to the
/// recipe). Throws std::invalid_argument for a bad recipe or flag value.
struct TrainJob {
  train::Recipe recipe;
  train::RunRequest request;
};
TrainJob resolve_train_command(const TrainCommand& command);

/// The command line that trains `request` with the gem-train at `gem_train`, the recipe read from
/// `recipe_file`: --resume always (a rerun continues), --restart as the request says, and every
/// training field as its flag.
std::vector<std::string> train_command_line(const std::filesystem::path& gem_train,
                                            const std::filesystem::path& recipe_file, const train::RunRequest& request);

/// A sweep runner that trains each run in a gem-train child process (train::process_runner), on
/// `ranks` local processes when > 1 (--nproc-per-node).
train::Runner gem_train_runner(const std::filesystem::path& gem_train, const std::filesystem::path& recipe_file,
                               int ranks = 1);

/// The command line of the ranks a launcher starts for `argv` (gem-train's own): argv without
/// --nproc-per-node, and with --threads 1 unless argv gives --threads (one CPU thread per rank).
std::vector<std::string> rank_command_line(const std::vector<std::string>& argv);

/// Joins the data-parallel job of torchrun's environment variables when there is one (WORLD_SIZE
/// > 1), as `command` says (backend, timeout), for a run on `device` ("auto", "cpu", "cuda").
std::shared_ptr<train::Communicator> join_job_of_environment(const TrainCommand& command, const std::string& device);

}  // namespace gem::train_cli
