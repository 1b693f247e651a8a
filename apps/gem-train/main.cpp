// gem-train: one training run. parse (CLI11) -> resolve the recipe and flags into TrainOptions
// -> print them -> run (src/train/trainer/run_training.h).
//   gem-train --recipe fashion-local --act egem:N=1,eps=1e-4 --seed 1 --out runs/one
//   gem-train --recipe gpt-local --act glu-egem:N=2,eps=10 --seed 1 --out runs/lm
#include <CLI/CLI.hpp>

#include <iostream>
#include <stdexcept>
#include <string>

#include "src/train/trainer/error_message.h"
#include "apps/tool_main.h"
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
    const gem::train_cli::TrainJob job = gem::train_cli::resolve_train_command(command);
    const gem::train::Recipe& recipe = job.recipe;
    const gem::train::RunRequest& request = job.request;
    std::cout << "gem-train: recipe " << recipe.name << " (" << recipe.file.string() << ")\n"
              << gem::train::to_json(request.options).dump() << "\n";
    if (command.print_options) return 0;
    if (command.out.empty()) throw std::invalid_argument("--out is required: the folder for this run's files");
    gem::train::keep_freed_memory();
    gem::train::DataCache cache;
    gem::train::run_training(request, std::cout, cache);
    return 0;
  });
}
