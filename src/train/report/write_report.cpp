#include "src/train/report/write_report.h"

#include <algorithm>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "gem/spec.h"
#include "src/train/models/feed_forward_spec.h"
#include "src/plot/activation_plot.h"
#include "src/train/report/aggregate.h"
#include "src/train/report/collect.h"
#include "src/train/report/curves_plot.h"
#include "src/train/report/machine.h"
#include "src/train/report/tables.h"
#include "src/support/atomic_file.h"

namespace gem::train {
namespace {

// What the columns mean; kept beside the code that computes them.
const char* const kColumnNotes =
    "Each row: mean ± sample standard deviation (n − 1) over the seeds listed (one seed: no ±). "
    "*final* = after the last epoch, *best* = the best epoch's test accuracy / lowest test loss. "
    "*dead units* = fraction of hidden units (channels of every activation layer) whose activation "
    "derivative was exactly 0 for every test image of the final evaluation (docs/training.md). "
    "*time* = training + evaluation seconds of a run; *train samples/s* = training throughput, "
    "and *vs ReLU* that throughput over ReLU's in the same recipe (GELU's when the recipe did not run "
    "ReLU; timings share the machine with whatever else ran, so compare them within one sweep).\n\n";

// The same for the language models' tables.
const char* const kLanguageColumnNotes =
    "Language models: *val loss* = cross-entropy in nats per predicted token on the validation "
    "split (every token for decoders, the masked 15% for encoders), *val perplexity* = exp(val loss), "
    "*unigram perplexity* = the perplexity of the add-one-smoothed unigram model of the training "
    "tokens on the same validation tokens (the baseline a model beats by using context), "
    "*val token acc* = share of predicted tokens ranked first, *dead units* = share of "
    "feed-forward hidden units whose derivative was 0 for every validation token, *train tokens/s* "
    "counts input tokens.\n\n";

}  // namespace

ReportFiles write_report(const ReportOptions& options, std::ostream& log) {
  const std::vector<RecipeRuns> recipes = collect_runs(options.inputs);
  if (recipes.empty()) {
    std::string where;
    for (const auto& p : options.inputs) where += (where.empty() ? "" : ", ") + p.string();
    throw std::runtime_error("no finished runs (summary.json) under " + where + "; run gem-sweep run first");
  }
  std::filesystem::create_directories(options.out);
  ReportFiles files{options.out / "report.md", options.out / "report.csv", {}};

  // Every output goes to a temporary file first and all are published at the end: a report that
  // fails half-way (a full disk) leaves the previous one whole, never new plots beside old tables.
  std::vector<std::unique_ptr<support::AtomicFile>> outputs;
  const auto output = [&](const std::filesystem::path& path) -> support::AtomicFile& {
    outputs.push_back(std::make_unique<support::AtomicFile>(path));
    return *outputs.back();
  };
  std::vector<RecipeTable> tables;
  std::vector<std::string> all_activations;
  std::ostringstream md;
  std::string inputs;
  for (const auto& p : options.inputs) inputs += (inputs.empty() ? "" : ", ") + p.string();
  md << "# Training report\n\n"
     << "Made " << (options.date.empty() ? utc_now() : options.date) << " on "
     << (options.machine.empty() ? machine_description() : options.machine) << " from the runs in " << inputs
     << ".\n\n"
     << kColumnNotes;
  for (const RecipeRuns& recipe : recipes)
    if (is_language_recipe(recipe)) {
      md << kLanguageColumnNotes;
      break;
    }
  for (const RecipeRuns& recipe : recipes) {
    tables.push_back(aggregate(recipe));
    std::string image;
    if (options.plots) {
      // recipe names were validated (collect.h): letters, digits and ._+-, so this stays in --out
      const std::filesystem::path png = options.out / (recipe.recipe + "-curves.png");
      plot_curves(mean_curves(recipe), recipe.recipe + ": mean over seeds", output(png), options.gnuplot,
                  is_language_recipe(recipe) ? "val" : "test");
      files.images.push_back(png);
      image = png.filename().string();
    }
    write_markdown_table(tables.back(), image, md);
    for (const ActivationRow& row : tables.back().rows)  // in the table's order
      if (std::find(all_activations.begin(), all_activations.end(), row.activation) == all_activations.end())
        all_activations.push_back(row.activation);
  }
  if (options.plots) {
    gem::plot::PlotOptions plot;
    // The gated forms glu-<spec> share their activation's curve.
    for (const auto& a : all_activations) {
      const ActivationSpec act = FeedForwardSpec::parse(a).activation;
      if (std::find(plot.activations.begin(), plot.activations.end(), act) == plot.activations.end())
        plot.activations.push_back(act);
    }
    plot.out = options.out / "activations.png";
    plot.title = "the activations of this report: f, f' and f'' on [-4, 4]";
    plot.gnuplot = options.gnuplot;
    gem::plot::DrawnPlot drawn = gem::plot::draw_plot(plot);
    files.images.push_back(drawn.files.png);
    outputs.push_back(std::move(drawn.png));
    outputs.push_back(std::move(drawn.csv));
    md << "## The activations\n\n![f, f' and f'' of every activation above](activations.png)\n\n"
       << "Values in activations.csv.\n";
  }
  output(files.markdown).append(md.str());
  std::ostringstream csv;
  write_csv_tables(tables, csv);
  output(files.csv).append(csv.str());
  for (const auto& file : outputs) file->commit();
  log << "report: " << files.markdown.string() << ", " << files.csv.string();
  for (const auto& image : files.images) log << ", " << image.filename().string();
  log << "\n";
  return files;
}

}  // namespace gem::train
