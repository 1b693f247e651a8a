// What rank 0 holds, made every rank's: the model's weights and buffers, and a file's bytes (the
// checkpoint of a resumed run, so that every rank starts from the same state, optimizer included,
// without a shared file system).
#pragma once

#include <torch/nn/module.h>

#include <string>

#include "src/train/distributed/communicator.h"

namespace gem::train {

/// Every parameter and buffer of `model` replaced by rank 0's (DDP's start).
void broadcast_model(torch::nn::Module& model, Communicator& comm);

/// Every buffer of `model` (batch norm's running statistics) replaced by rank 0's, as DDP's
/// broadcast_buffers: before an evaluation and a checkpoint, so both use one model.
void broadcast_buffers(torch::nn::Module& model, Communicator& comm);

/// Rank 0's `bytes` on every rank (rank 0's own argument returned on rank 0).
std::string broadcast_bytes(const std::string& bytes, Communicator& comm);

/// Rank 0's integer on every rank.
int64_t broadcast_integer(int64_t value, Communicator& comm);

}  // namespace gem::train
