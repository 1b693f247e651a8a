// One training epoch and one evaluation pass, apart (STYLE.md section 8).
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>

#include "src/train/data/batches.h"
#include "src/train/models/classifier.h"

namespace gem::train {

struct StepProgress {
  int64_t step = 0, steps = 0;  // step just finished (1-based) of the epoch's steps
  double loss = 0, lr = 0;      // that step's batch loss and learning rate
  int64_t samples = 0;          // samples of the epoch so far
  double seconds = 0;           // since the epoch started
};

struct TrainStats {
  double loss = 0, accuracy = 0;  // averaged over the epoch's samples
  int64_t samples = 0;
  double seconds = 0, last_lr = 0;
};

struct StepResult {
  double loss = 0;      // the batch's mean cross-entropy
  int64_t correct = 0;  // samples classified right (before the update)
};

/// One optimizer step on one batch at learning rate `lr` (the model in train mode); grad_clip > 0
/// clips the global gradient norm to it first.
StepResult train_step(ClassifierImpl& model, torch::optim::Optimizer& optimizer, const Batch& batch,
                      const torch::Device& device, double lr, double grad_clip = 0);

/// Cross-entropy training over `batches` in train mode; the learning rate of step s is
/// lr_at(s), set before the step. on_step (may be empty) runs after every step.
TrainStats train_epoch(ClassifierImpl& model, torch::optim::Optimizer& optimizer, const EpochBatches& batches,
                       const torch::Device& device, const std::function<double(int64_t)>& lr_at,
                       const std::function<void(const StepProgress&)>& on_step, double grad_clip = 0);

/// Sets every parameter group's learning rate.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

struct EvalStats {
  double loss = 0, accuracy = 0;
  int64_t samples = 0;
  bool dead_measured = false;
  int64_t dead_units = 0, units = 0;
  double seconds = 0;
};

/// Mean cross-entropy and accuracy over `set` in eval mode under NoGradGuard (the model is put
/// back in train mode after). probe_dead_units: also the dead units over the whole pass.
EvalStats evaluate(ClassifierImpl& model, const TensorSet& set, int64_t batch_size, const torch::Device& device,
                   bool probe_dead_units);

}  // namespace gem::train
