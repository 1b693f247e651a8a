// `gem plot`: f, f' and f'' of one or more activations (any ActivationSpec) side by side in one
// PNG, drawn by gnuplot, with the sampled values beside it as CSV (same name, .csv).
#pragma once

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "gem/act/gem.h"
#include "gem/spec.h"
#include "src/support/atomic_file.h"

namespace gem::plot {

struct PlotOptions {
  std::vector<ActivationSpec> activations;
  double from = -4.0;
  double to = 4.0;
  int points = 801;  // samples per activation, both ends included
  std::filesystem::path out = "family.png";
  std::string title;  // empty: "f, f' and f'' on [from, to]"
  std::string gnuplot = "gnuplot";
};

constexpr int kMaxPlotPoints = 1000000;

/// relu and gelu for reference, GEM of orders 1 and 2, and E-GEM / SE-GEM with a small eps.
std::vector<ActivationSpec> default_plot_family();

/// Throws std::invalid_argument saying which option is wrong and what is allowed.
void validate(const PlotOptions& opt);

/// x runs evenly from `from` to `to` (both included); values[k][i] belongs to activations[k].
struct PlotSamples {
  std::vector<double> x;
  std::vector<std::vector<Derivs<double>>> values;
};
PlotSamples sample_activations(const PlotOptions& opt);

/// CSV: header `activation,x,f,df,d2f`, one row per activation and x (17 digits; a spec with
/// commas is quoted).
void write_samples_csv(const PlotOptions& opt, const PlotSamples& samples, std::ostream& out);

/// `family.png` -> `family.csv`.
std::filesystem::path csv_path_for(const std::filesystem::path& png);

struct PlotFiles {
  std::filesystem::path png, csv;
};

/// A plot written to temporary files, published by committing them.
struct DrawnPlot {
  PlotFiles files;
  std::unique_ptr<support::AtomicFile> png, csv;
};

/// Validates, samples and runs gnuplot (creating the output folder if needed); nothing is
/// published yet. Throws std::runtime_error (gnuplot missing or failing, with its messages, or
/// a full disk) or std::invalid_argument (bad options).
DrawnPlot draw_plot(const PlotOptions& opt);

/// draw_plot, then the PNG and the CSV published atomically; on error no output file is touched.
PlotFiles run_plot(const PlotOptions& opt);

}  // namespace gem::plot
