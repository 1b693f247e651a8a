// The report's tables. Markdown for people (accuracy in %, mean +- std over seeds); CSV for
// programs (fractions, full precision, one row per recipe and activation, std empty for a
// single run).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "src/train/report/aggregate.h"

namespace gem::train {

/// One table per recipe: its heading, description and setup, the table (image classifiers:
/// test accuracy and loss; language models: validation loss, perplexity against the unigram
/// baseline, token accuracy), and `image` (if not empty) below it as a Markdown image.
void write_markdown_table(const RecipeTable& table, const std::string& image, std::ostream& out);

/// Header: recipe,activation,runs,seeds, then <metric>_mean,<metric>_std for test_accuracy,
/// best_test_accuracy, test_loss, best_test_loss, dead_fraction, seconds, samples_per_second,
/// then throughput_baseline (relu, else gelu, else empty) and throughput_vs_baseline, then
/// val_perplexity and unigram_perplexity (mean, std; empty for image models and encoders), then
/// options (the options that set the row apart, empty when the recipe's runs share them) and
/// diverged_seeds (left out of the means). Language models: test_* are the validation set's
/// values.
void write_csv_tables(const std::vector<RecipeTable>& tables, std::ostream& out);

/// "97.12 ± 0.31" (scaled by `scale`, `digits` decimals); without "±" for a single run, "–"
/// for none.
std::string format_mean_std(const MeanStd& m, double scale, int digits);

}  // namespace gem::train
