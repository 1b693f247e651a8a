// gem-sweep speed: training throughput of several activations on the same model and data,
// measured in one process with their steps interleaved: each round runs `steps` optimizer steps
// of every activation, starting with a different one each round, so a machine shared with other
// work slows them all alike. Batches are prepared before timing (the model's work is timed, not
// the batching). Each activation trains its own model from the same seed on the same batches.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "src/train/trainer/train_options.h"

namespace gem::train {

struct SpeedOptions {
  int64_t rounds = 10;
  int64_t steps = 10;         // timed optimizer steps per activation and round
  int64_t warmup_steps = 5;   // untimed steps per activation first
};

struct SpeedRow {
  std::string activation;
  std::vector<double> samples_per_second;  // one per round
  double median = 0;                       // of the rounds
  double ratio = 0;                        // median over the first activation's median
};

/// Throws std::invalid_argument for bad options (validate(), rounds / steps < 1, no activation).
std::vector<SpeedRow> measure_speed(const TrainOptions& base, const std::vector<std::string>& activations,
                                    const SpeedOptions& options, std::ostream& log);

/// A Markdown table: activation, median samples/s, min .. max, ratio to the first.
void write_speed_table(const std::vector<SpeedRow>& rows, std::ostream& out);

}  // namespace gem::train
