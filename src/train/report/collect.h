// The finished runs under one or more folders (any depth): every summary.json with its
// metrics.jsonl, grouped by recipe. Activations are ordered as the sweeps listed them
// (sweep.json), then any others by kind, N and eps (relu, gelu, ..., gem, egem, segem).
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
};

struct RecipeRuns {
  std::string recipe, description;
  std::vector<std::string> activations;  // report order
  std::vector<RunRecord> runs;
};

/// Throws std::runtime_error when a root does not exist or a summary is unreadable.
std::vector<RecipeRuns> collect_runs(const std::vector<std::filesystem::path>& roots);

}  // namespace gem::train
