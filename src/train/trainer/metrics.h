// What one epoch measured (one line of metrics.jsonl) and the run's summary (summary.json).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace gem::train {

struct EpochMetrics {
  int64_t epoch = 0;  // 1-based
  double lr = 0;      // at the epoch's last step
  double train_loss = 0, train_accuracy = 0;  // running averages over the epoch's batches
  double test_loss = 0, test_accuracy = 0;    // accuracy as a fraction
  bool dead_measured = false;
  int64_t dead_units = 0, units = 0;          // dead-unit probe (probed_activation.h)
  double train_seconds = 0, eval_seconds = 0;
  double samples_per_second = 0;              // training throughput of the epoch

  double dead_fraction() const {
    return units > 0 ? static_cast<double>(dead_units) / static_cast<double>(units) : 0.0;
  }
};

nlohmann::json to_json(const EpochMetrics& m);
/// Throws std::invalid_argument when a key is missing or of the wrong type.
EpochMetrics epoch_metrics_from_json(const nlohmann::json& j);

/// The fields fixed by the options and the seed alone (everything but the timings): two runs
/// with the same options agree on these exactly.
nlohmann::json reproducible_part(const EpochMetrics& m);

struct RunIdentity {
  std::string recipe, activation;
  int64_t seed = 0;
};

/// summary.json: recipe, activation, seed, epochs, seconds, test_accuracy (final, a fraction),
/// best_test_accuracy, best_epoch, test_loss, best_test_loss, train_loss, dead_fraction (final
/// evaluation; null when not measured), dead_units, units, samples_per_second (mean over
/// epochs), plus `extra` merged in (options, sizes, device, versions).
nlohmann::json make_summary(const RunIdentity& id, const std::vector<EpochMetrics>& history, double seconds,
                            const nlohmann::json& extra);

}  // namespace gem::train
