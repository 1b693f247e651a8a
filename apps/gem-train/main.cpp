// gem-train: one training run. parse (CLI11) -> resolve the recipe and flags into TrainOptions
// -> print them -> run (src/train/trainer/run_training.h).
//   gem-train --recipe fashion-local --act egem:N=1,eps=1e-4 --seed 1 --out runs/one
//   gem-train --recipe gpt-local --act glu-egem:N=2,eps=10 --seed 1 --out runs/lm
#include <CLI/CLI.hpp>

#include <iostream>
#include <stdexcept>
#include <string>

#include "src/support/checked_output.h"
#include "src/train/trainer/error_message.h"
#include "src/train/trainer/field_flags.h"
#include "src/train/trainer/fields.h"
#include "src/train/trainer/memory_tuning.h"
#include "src/train/trainer/recipe.h"
#include "src/train/trainer/run_training.h"

namespace {

constexpr int kExitFailure = 1;  // the run failed (data, files, training diverged)
constexpr int kExitUsage = 2;    // bad flags or options

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
  std::string recipe_name;
  std::string recipes_dir = gem::train::default_recipes_dir().string();
  std::string out;
  bool resume = false, print_only = false;
  app.add_option("--recipe", recipe_name, "Recipe name (experiments/<name>.json) or path to a recipe file")->required();
  app.add_option("--recipes-dir", recipes_dir, "Where recipe names are looked up")->capture_default_str();
  app.add_option("--out", out, "Run folder for options, metrics, checkpoint and summary");
  app.add_flag("--resume", resume, "Continue from --out's checkpoint (or return its summary if finished)");
  bool restart = false;
  app.add_flag("--restart", restart, "Discard the run --out holds (whatever its options) and train afresh");
  int64_t stop_after = 0;
  app.add_option("--stop-after-epochs", stop_after, "End this session after that many epochs (resume later)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--print-options", print_only, "Print the resolved options as JSON and exit");
  gem::train::FieldFlags fields(app);
  app.footer(kFooter);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return gem::support::finish_standard_output("gem-train", app.exit(e) == 0 ? 0 : kExitUsage);  // --help too
  }

  // Progress a line at a time (a killed run's train.log keeps every line), and output that could
  // not be written (a full disk) fails the run's command.
  std::cout << std::unitbuf;
  return gem::support::finish_standard_output("gem-train", [&] {
    try {
      gem::train::RunRequest request;
      const gem::train::Recipe recipe = gem::train::load_recipe(recipe_name, recipes_dir);
      request.recipe = recipe.name;
      request.options = gem::train::resolve_options(recipe, fields.overrides());
      request.out = out;
      request.resume = resume;
      request.restart = restart;
      request.stop_after_epochs = stop_after;
      std::cout << "gem-train: recipe " << recipe.name << " (" << recipe.file.string() << ")\n"
                << gem::train::to_json(request.options).dump() << "\n";
      if (print_only) return 0;
      if (out.empty()) throw std::invalid_argument("--out is required: the folder for this run's files");
      gem::train::keep_freed_memory();
      gem::train::DataCache cache;
      gem::train::run_training(request, std::cout, cache);
      return 0;
    } catch (const std::invalid_argument& e) {
      std::cerr << "gem-train: " << e.what() << "\n";
      return kExitUsage;
    } catch (const std::exception& e) {
      std::cerr << "gem-train: " << gem::train::error_message(e) << "\n";
      return kExitFailure;
    }
  }());
}
