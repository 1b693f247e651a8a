// The finished runs under one or more folders (any depth): every summary.json with its
// metrics.jsonl, grouped by recipe, read as untrusted data: a summary whose recipe, activation,
// seed or numbers are not what gem-train writes is an error naming the file, so nothing from it
// reaches a file name or a plot script. A run found through two --in folders is counted once.
//
// Rows: the runs of a recipe are grouped by activation and by the options that matter. When
// runs differ in an option other than activation and seed (and threads, device, log_every and
// cache_dir, which do not change results), every row names its values ("relu (lr=0.2)"), so
// runs made with different options are never averaged together. The same seed twice in a row
// is an error. Rows are ordered as the sweeps listed their activations (sweep.json), then any
// others by kind, N and eps (relu, gelu, ..., gem, egem, segem).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "src/train/trainer/metrics.h"

namespace gem::train {

struct RunRecord {
  std::filesystem::path dir;
  nlohmann::json summary;
  std::vector<EpochMetrics> history;  // empty when metrics.jsonl is missing
  std::string activation;             // canonical spec
  int64_t seed = 0;
  std::string variant;    // the options in which its recipe's runs differ: "lr=0.2, epochs=5"
  bool diverged = false;  // summary.json says "diverged": true

  /// The row it belongs to: the activation, and the variant in parentheses if there is one.
  std::string row() const { return variant.empty() ? activation : activation + " (" + variant + ")"; }
};

struct RecipeRuns {
  std::string recipe, description;
  std::vector<std::string> rows;             // report order (RunRecord::row)
  std::vector<std::string> varying_options;  // the options its runs differ in (empty: none)
  std::vector<RunRecord> runs;
};

/// Throws std::runtime_error when a root does not exist or a file is unreadable or not what
/// gem-train writes (naming it), or when one row holds a seed twice (naming both folders).
std::vector<RecipeRuns> collect_runs(const std::vector<std::filesystem::path>& roots);

}  // namespace gem::train
