// gem-train: one training run. parse (CLI11) -> resolve the recipe and flags into TrainOptions
// -> print them -> run (src/train/trainer/run_training.h).
//   gem-train --recipe fashion-local --act egem:N=1,eps=1e-4 --seed 1 --out runs/one
//   gem-train --recipe gpt-local --act glu-egem:N=2,eps=10 --seed 1 --out runs/lm
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>

#include "src/train/trainer/error_message.h"
#include "apps/tool_main.h"
#include "src/support/rank_launcher.h"
#include "src/train/distributed/shard.h"
#include "apps/train_cli/train_command.h"
#include "src/train/trainer/fields.h"
#include "src/train/trainer/memory_tuning.h"
#include "src/train/trainer/recipe.h"
#include "src/train/trainer/run_training.h"

namespace {

const char* const kFooter =
    R"(Outputs in --out: options.json, metrics.jsonl (one line per epoch), checkpoint.pt (every epoch),
summary.json (at the end; keys recipe, activation, seed, epochs, seconds, test_accuracy,
best_test_accuracy, test_loss, dead_fraction, ...; language models also val_loss, val_perplexity,
unigram_perplexity, tokens_per_second; "diverged": true when the loss became NaN or infinite,
which also exits 1). Interrupted? Run the same command with --resume. The folder is bound to
its options: other options are refused (--restart discards the run), and one process at a
time may write it.
Recipes: experiments/*.json (gem-sweep recipes lists them): images, e.g. fashion-local; language
models gpt-local, bert-local, gpt2-124m, bert-small. Docs: docs/training.md.)";

// gem-train --nproc-per-node N: this process becomes the launcher of N ranks, each this program
// with the same flags (less --nproc-per-node) and torchrun's environment variables.
int launch_ranks(const gem::train_cli::TrainCommand& command, const gem::train::RunRequest& request, int argc,
                 char** argv) {
  if (std::getenv("WORLD_SIZE") != nullptr)
    throw std::invalid_argument(
        "--nproc-per-node starts the ranks itself; under torchrun or srun (WORLD_SIZE is set) "
        "leave it out");
  const int ranks = command.nproc_per_node;
  gem::train::require_even_split(request.options.batch_size, ranks);
  if (command.out.empty() && !command.print_options)
    throw std::invalid_argument("--out is required: the folder for this run's files");
  std::vector<std::string> args(argv, argv + argc);
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) args[0] = self.string();
  gem::support::RankLaunch launch;
  launch.argv = gem::train_cli::rank_command_line(args);
  launch.ranks = ranks;
  launch.grace = std::chrono::seconds(10);
  return gem::support::launch_ranks(launch, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  gem::support::check_standard_output();
  CLI::App app{"gem-train: train one model with one activation (from a recipe, any field overridable)"};
  gem::train_cli::TrainCommand command;
  gem::train_cli::add_train_command(app, command);
  app.footer(kFooter);

  const gem::apps::ToolFrame frame{"gem-train", false,
                                   [](const std::exception& e) { return gem::train::error_message(e); }};
  return gem::apps::run_tool(app, argc, argv, frame, [&] {
    // Progress a line at a time: a killed run's train.log keeps every line.
    std::cout << std::unitbuf;
    gem::train_cli::TrainJob job = gem::train_cli::resolve_train_command(command);
    gem::train::RunRequest& request = job.request;
    if (command.nproc_per_node > 1 && !command.print_options) return launch_ranks(command, request, argc, argv);
    if (!command.print_options) request.comm = gem::train_cli::join_job_of_environment(command, request.options.device);
    if (!request.comm || request.comm->is_root())
      std::cout << "gem-train: recipe " << job.recipe.name << " (" << job.recipe.file.string() << ")\n"
                << gem::train::to_json(request.options).dump() << "\n";
    if (command.print_options) return 0;
    if (command.out.empty()) throw std::invalid_argument("--out is required: the folder for this run's files");
    gem::train::keep_freed_memory();
    gem::train::DataCache cache;
    gem::train::run_training(request, std::cout, cache);
    return 0;
  });
}
