// The checkpoint of a run (one file, replaced atomically and durably after every epoch): model
// parameters and buffers, optimizer state (momentum / Adam moments and step counts), torch's CPU
// generator state, and the training state (epochs done, metrics so far, seconds, the options).
// Batch order and augmentation need no saved state: they derive from (seed, epoch) (data/rng.h).
// Loading it and training on gives exactly the metrics of an uninterrupted run (same threads
// and device).
//
// The file is a 64-byte text header ("gem-checkpoint 2 bytes=... crc32=...") and LibTorch's
// archive; the header's length and CRC-32 are checked before anything is read, so a truncated
// or damaged file is refused with a one-line message instead of resuming from corrupt weights.
// A failed write (a full disk) leaves the previous checkpoint as it was.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/optim/optimizer.h>

#include <filesystem>
#include <vector>

#include <torch/nn/module.h>
#include "src/train/trainer/metrics.h"

namespace gem::train {

struct TrainingState {
  int64_t epochs_done = 0;
  std::vector<EpochMetrics> history;
  double seconds = 0;               // training and evaluation time so far, over all sessions
  nlohmann::json options;           // to_json(TrainOptions) of the run
};

/// Throws std::runtime_error naming the cause (no space left ...) when it cannot be written.
void save_checkpoint(const std::filesystem::path& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                     const TrainingState& state);

/// The training state alone (to check the options before touching the model); verified and
/// refused as load_checkpoint does.
TrainingState read_checkpoint_state(const std::filesystem::path& path);

/// Restores model, optimizer and torch's generator in place and returns the training state.
/// Throws std::runtime_error (one line, naming the file) when it is missing, truncated, damaged,
/// of another format, or does not fit the model.
TrainingState load_checkpoint(const std::filesystem::path& path, torch::nn::Module& model,
                              torch::optim::Optimizer& optimizer, const torch::Device& device);

}  // namespace gem::train
