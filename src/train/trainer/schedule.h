// The learning rate at each optimizer step.
//   warm-up (warmup_epochs > 0): lr * (s + 1) / W for the first W steps (W = warm-up steps)
//   constant:  lr
//   multistep: lr * gamma^k, k = the number of milestones <= the current epoch (0-based)
//   cosine:    min_lr + (lr - min_lr) (1 + cos(pi t / T)) / 2, t = steps after the warm-up,
//              T = all steps after the warm-up
#pragma once

#include <cstdint>

#include "src/train/trainer/train_options.h"

namespace gem::train {

/// Learning rate of step `step` (0-based) of epoch `epoch` (0-based).
double learning_rate(const TrainOptions& options, int64_t epoch, int64_t step, int64_t steps_per_epoch);

}  // namespace gem::train
