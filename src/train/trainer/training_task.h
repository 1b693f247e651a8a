// What run_training needs from a kind of training: the image classifiers (image_task.h) and the
// language models (language_task.h) each provide the model, its optimizer, one epoch of training
// and one evaluation; run_training (run_training.h) owns everything around them: the run folder,
// resume, checkpoints, metrics, progress and the summary.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "src/train/distributed/communicator.h"
#include "src/train/distributed/shard.h"
#include "src/train/trainer/metrics.h"
#include "src/train/trainer/train_loop.h"
#include "src/train/trainer/train_options.h"

namespace gem::train {

class DataCache;

class TrainingTask {
 public:
  virtual ~TrainingTask() = default;

  virtual torch::nn::Module& model() = 0;
  virtual torch::optim::Optimizer& optimizer() = 0;
  virtual int64_t steps_per_epoch() const = 0;

  /// One epoch in train mode; the learning rate of step s is lr_at(s); on_step may be empty.
  virtual TrainStats train_epoch(int64_t epoch, const std::function<double(int64_t)>& lr_at,
                                 const std::function<void(const StepProgress&)>& on_step) = 0;
  /// The held-out set: loss, accuracy and (when asked by the options) dead units.
  virtual EvalStats evaluate() = 0;

  /// Parameters, data sizes and sources: recorded in options.json and summary.json.
  virtual nlohmann::json description() const = 0;
  /// The first progress line of a run (model, sizes, device).
  virtual std::string banner() const = 0;
  /// "samples" (images) or "tokens": what the throughput counts.
  virtual const char* unit() const = 0;
  /// "test" or "val": the held-out set's name in progress lines.
  virtual const char* held_out_name() const = 0;
  /// Extra summary keys computed from the history (language models: perplexities).
  virtual nlohmann::json summary_extra(const std::vector<EpochMetrics>& history) const {
    (void)history;
    return nlohmann::json::object();
  }
};

/// The task of `options` (image or language), its data from `cache`, its model on `device`,
/// trained on this rank's share of every batch of the job `comm` (which outlives the task).
/// Seed torch's generator first: the model's initialisation draws from it.
std::unique_ptr<TrainingTask> make_task(const TrainOptions& options, const torch::Device& device, DataCache& cache,
                                        std::ostream& log, Communicator& comm);

/// The batches of a held-out pass that are this rank's: a contiguous share of `batches`.
/// Throws std::invalid_argument when there are fewer batches than ranks.
Shard evaluation_share(int64_t batches, const Communicator& comm, int64_t eval_batch_size);

}  // namespace gem::train
