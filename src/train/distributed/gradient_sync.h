// Data parallelism's one step: after the backward pass every rank holds the gradient of its rows'
// part of the batch's mean loss (its loss weighted by its share of the batch); sum_gradients
// leaves every rank with their sum, the gradient of the whole batch's mean loss, so the optimizer
// takes the same step everywhere (and a short last batch split unevenly is still exact). Gradients travel in buckets
// (flattened, up to kGradientBucketBytes each, one dtype and device per bucket) whose all-reduces are all started
// before the first is waited for, as DDP does; unlike DDP's Reducer they start after the backward pass rather than
// during it (the Reducer's interface differs between LibTorch 1.13 and 2.x).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "src/train/distributed/communicator.h"

namespace gem::train {

constexpr int64_t kGradientBucketBytes = 25 << 20;  // DDP's default bucket_cap_mb

/// Every parameter's .grad replaced by its sum over the ranks (a parameter without a gradient
/// counts as a zero one, so every rank sends the same buckets). No-op for one process.
void sum_gradients(const std::vector<torch::Tensor>& parameters, Communicator& comm);

}  // namespace gem::train
