// The training epoch and the evaluation pass of every task (image and language), written once:
// the tasks supply what one step or one batch computes, this file the loop around it. Losses
// stay on the device and come back to the host a few at a time (STYLE.md section 8): a read is a
// host synchronisation on CUDA, so there is none per step.
#pragma once

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>

#include "src/train/distributed/communicator.h"

namespace gem::train {

/// What a step or a batch leaves on the device: its loss summed over `count` predictions and
/// how many of them were right (0-d float64 tensors, undefined while empty), and how many
/// samples it fed (what throughput counts: images, or tokens).
struct DeviceTotals {
  torch::Tensor loss_sum, correct;
  int64_t count = 0, samples = 0;

  /// Adds a loss sum and a count of right predictions (any floating or integer dtype).
  void add(const torch::Tensor& batch_loss_sum, const torch::Tensor& batch_correct, int64_t batch_count,
           int64_t batch_samples);
  void add(const DeviceTotals& other) { add(other.loss_sum, other.correct, other.count, other.samples); }
};

struct StepProgress {
  int64_t step = 0, steps = 0;  // step just finished (1-based) of the epoch's steps
  double loss = 0, lr = 0;      // that step's mean loss and learning rate
  int64_t samples = 0;          // samples of the epoch so far
  double seconds = 0;           // since the epoch started (when its loss was read back)
};

struct TrainStats {
  double loss = 0, accuracy = 0;  // averaged over the epoch's predictions
  int64_t samples = 0;
  double seconds = 0, last_lr = 0;
};

struct EvalStats {
  double loss = 0, accuracy = 0;
  int64_t samples = 0;  // predictions evaluated
  bool dead_measured = false;
  int64_t dead_units = 0, units = 0;
  double seconds = 0;
};

/// A step's forward and backward passes (its gradient accumulated, not applied): the task's part.
using ForwardBackward = std::function<DeviceTotals()>;

/// One optimizer step: learning rate `lr`, zeroed gradients, forward_backward() (on this rank's
/// rows, its loss weighted by their share of the batch), the gradients summed over the ranks of
/// `comm` (when given), the global gradient norm clipped to grad_clip (> 0), the update. Nothing
/// is read back.
DeviceTotals optimizer_step(torch::nn::Module& model, torch::optim::Optimizer& optimizer, double lr, double grad_clip,
                            const ForwardBackward& forward_backward, Communicator* comm = nullptr);

/// An epoch of `steps` optimizer steps in train mode; step s has learning rate lr_at(s) and runs
/// step(s) (this rank's share of the step's batch). Every `read_every` steps (<= 0: 100) and
/// after the last, the losses since the last read come back in one transfer, summed over the
/// ranks of `comm`, and on_step (may be empty) runs for each of those steps in order, with the
/// same numbers on every rank; an exception from it ends the epoch there.
TrainStats run_train_epoch(torch::nn::Module& model, torch::optim::Optimizer& optimizer, int64_t steps,
                           int64_t read_every, const std::function<double(int64_t)>& lr_at,
                           const std::function<DeviceTotals(int64_t)>& step,
                           const std::function<void(const StepProgress&)>& on_step, double grad_clip,
                           Communicator& comm);

/// An evaluation of `batches` batches (this rank's share), batch(b) each, in eval mode under
/// NoGradGuard (the model back in train mode after); probe_dead_units: also the dead units over
/// the whole pass. The sums come back once, at the end, summed over the ranks of `comm` (a unit
/// is dead when it is dead on every rank's share).
EvalStats run_evaluation(torch::nn::Module& model, int64_t batches, const std::function<DeviceTotals(int64_t)>& batch,
                         bool probe_dead_units, Communicator& comm);

/// Sets every parameter group's learning rate.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace gem::train
