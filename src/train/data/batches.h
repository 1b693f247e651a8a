// A dataset as tensors, and the batches of one epoch: order and augmentation are fixed by
// (seed, epoch), so an epoch replays exactly after a resume.
//
// Normalisation is the standard one: per channel, subtract the mean and divide by the standard
// deviation of the training images' pixel values in [0, 1] (computed, not tabulated, so every
// dataset and subset is treated alike). Augmentation (CIFAR's, He et al. 2016): pad by 4 pixels
// of black (the normalised value of 0), crop back to the original size at a random offset, and
// flip horizontally with probability 1/2.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "src/train/data/augmentation.h"
#include "src/train/data/image_set.h"

namespace gem::train {

struct Normalization {
  std::vector<double> mean, stddev;  // per channel, of pixel / 255
};

/// Per-channel mean and standard deviation of `train` (a channel of one value gets stddev 1).
Normalization channel_statistics(const ImageSet& train);

struct TensorSet {
  torch::Tensor images;             // float32, N x C x H x W, normalised
  torch::Tensor labels;             // int64, N
  std::vector<float> black;         // normalised value of pixel 0 per channel (padding)
  int64_t size() const { return labels.size(0); }
};

TensorSet to_tensors(const ImageSet& set, const Normalization& norm);

struct Batch {
  torch::Tensor images, labels;
};

class EpochBatches {
 public:
  /// shuffle: a seeded permutation per epoch, else the set's order. The last batch may be short.
  EpochBatches(const TensorSet& set, int64_t batch_size, bool shuffle, Augmentation augmentation, uint64_t seed,
               int64_t epoch);

  int64_t size() const {  // the last batch may be short; no overflow for any batch size
    const auto n = static_cast<int64_t>(order_.size());
    return n / batch_size_ + (n % batch_size_ != 0);
  }
  Batch batch(int64_t index) const;

 private:
  const TensorSet& set_;
  int64_t batch_size_;
  Augmentation augmentation_;
  std::vector<int64_t> order_;
  std::vector<int64_t> offset_y_, offset_x_;  // crop offsets in [0, 2 pad], per position in the epoch
  std::vector<uint8_t> flip_;
};

}  // namespace gem::train
