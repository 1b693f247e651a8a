// Mean and standard deviation over seeds, per recipe and row (an activation, and the options in
// which the recipe's runs differ: collect.h), and mean learning curves. Diverged runs are listed
// but left out of the means and curves.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/train/report/collect.h"

namespace gem::train {

/// Sample standard deviation (n - 1); std is 0 and `n` says 1 for a single value.
struct MeanStd {
  double mean = 0, std = 0;
  int n = 0;
};
MeanStd mean_std(const std::vector<double>& values);

struct ActivationRow {
  std::string activation;               // canonical spec
  std::string variant;                  // the options that set this row apart ("" when the runs share them)
  std::vector<int64_t> seeds;           // every run of the row, diverged ones included
  std::vector<int64_t> diverged_seeds;  // the runs whose training diverged (not in the means)
  std::string label() const { return variant.empty() ? activation : activation + " (" + variant + ")"; }
  MeanStd test_accuracy, best_test_accuracy, test_loss, best_test_loss;
  MeanStd dead_fraction;  // n = 0 when no run measured it
  MeanStd seconds, samples_per_second;  // language models: tokens per second
  MeanStd val_perplexity, unigram_perplexity;  // decoders only (n = 0 otherwise)
  double throughput_vs_baseline = 0;  // samples/s relative to the baseline row of the same variant; 0 without one
};

struct RecipeTable {
  std::string recipe, description;
  std::string setup;  // model, data, epochs, optimizer and schedule, from the first run's options
  bool language = false;  // a language model's runs: the held-out set is "val", accuracy is per token
  std::string baseline;   // throughput reference: relu when the recipe ran it, else gelu, else none
  std::vector<std::string> varying_options;  // options its runs differ in (rows name their values)
  std::vector<ActivationRow> rows;
};

RecipeTable aggregate(const RecipeRuns& runs);

struct Curve {
  std::string activation;                          // the row's label
  std::vector<int64_t> epochs;                     // the epochs every run of it has
  std::vector<double> test_accuracy, test_loss;    // means over its runs
};
std::vector<Curve> mean_curves(const RecipeRuns& runs);

/// True when the runs trained a language model (gpt, bert).
bool is_language_recipe(const RecipeRuns& runs);

}  // namespace gem::train
