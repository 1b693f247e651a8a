#include "src/train/data/batches.h"

#include <torch/torch.h>

#include <cmath>
#include <numeric>
#include <stdexcept>

#include "src/train/data/rng.h"

namespace gem::train {

Normalization channel_statistics(const ImageSet& train) {
  Normalization norm;
  const int64_t plane = train.height * train.width;
  for (int64_t c = 0; c < train.channels; ++c) {
    double sum = 0, sum_sq = 0;
    for (int64_t i = 0; i < train.size(); ++i) {
      const uint8_t* p = train.pixels.data() + (i * train.channels + c) * plane;
      for (int64_t k = 0; k < plane; ++k) {
        const double v = p[k] / 255.0;
        sum += v;
        sum_sq += v * v;
      }
    }
    const double n = static_cast<double>(train.size() * plane);
    const double mean = sum / n;
    const double var = std::max(0.0, sum_sq / n - mean * mean);
    norm.mean.push_back(mean);
    norm.stddev.push_back(var > 0 ? std::sqrt(var) : 1.0);
  }
  return norm;
}

TensorSet to_tensors(const ImageSet& set, const Normalization& norm) {
  if (static_cast<int64_t>(norm.mean.size()) != set.channels)
    throw std::invalid_argument("normalisation has " + std::to_string(norm.mean.size()) + " channels, " + set.source +
                                " has " + std::to_string(set.channels));
  TensorSet out;
  const auto bytes = torch::from_blob(const_cast<uint8_t*>(set.pixels.data()),
                                      {set.size(), set.channels, set.height, set.width}, torch::kUInt8);
  out.images = bytes.to(torch::kFloat32).div_(255.0);
  for (int64_t c = 0; c < set.channels; ++c) {
    out.images.select(1, c).sub_(norm.mean[c]).div_(norm.stddev[c]);
    out.black.push_back(static_cast<float>(-norm.mean[c] / norm.stddev[c]));
  }
  out.labels = torch::from_blob(const_cast<uint8_t*>(set.labels.data()), {set.size()}, torch::kUInt8).to(torch::kInt64);
  return out;
}

EpochBatches::EpochBatches(const TensorSet& set, int64_t batch_size, bool shuffle, Augmentation augmentation,
                           uint64_t seed, int64_t epoch)
    : set_(set), batch_size_(batch_size), augmentation_(augmentation) {
  if (batch_size <= 0) throw std::invalid_argument("batch size must be > 0, got " + std::to_string(batch_size));
  if (shuffle) {
    SplitMix64 rng(derive_seed(seed, Stream::batch_order, static_cast<uint64_t>(epoch)));
    order_ = random_permutation(set.size(), rng);
  } else {
    order_.resize(static_cast<size_t>(set.size()));
    std::iota(order_.begin(), order_.end(), int64_t{0});
  }
  if (augmentation.any()) {
    SplitMix64 rng(derive_seed(seed, Stream::augmentation, static_cast<uint64_t>(epoch)));
    const uint64_t positions = static_cast<uint64_t>(2 * augmentation.pad + 1);
    for (size_t i = 0; i < order_.size(); ++i) {
      offset_y_.push_back(static_cast<int64_t>(rng.below(positions)));
      offset_x_.push_back(static_cast<int64_t>(rng.below(positions)));
      flip_.push_back(augmentation.flip ? static_cast<uint8_t>(rng.below(2)) : 0);
    }
  }
}

Batch EpochBatches::batch(int64_t index) const {
  const int64_t first = index * batch_size_;
  const int64_t count = std::min<int64_t>(batch_size_, static_cast<int64_t>(order_.size()) - first);
  if (index < 0 || count <= 0) throw std::out_of_range("batch " + std::to_string(index) + " of " + std::to_string(size()));
  const auto ids = torch::from_blob(const_cast<int64_t*>(order_.data() + first), {count}, torch::kInt64);
  Batch b{set_.images.index_select(0, ids), set_.labels.index_select(0, ids)};
  if (!augmentation_.any()) return b;

  const int64_t pad = augmentation_.pad, channels = b.images.size(1), h = b.images.size(2), w = b.images.size(3);
  torch::Tensor padded = torch::empty({count, channels, h + 2 * pad, w + 2 * pad}, b.images.options());
  for (int64_t c = 0; c < channels; ++c) padded.select(1, c).fill_(set_.black[c]);
  padded.narrow(2, pad, h).narrow(3, pad, w).copy_(b.images);
  for (int64_t i = 0; i < count; ++i) {
    const size_t at = static_cast<size_t>(first + i);
    torch::Tensor crop = padded[i].narrow(1, offset_y_[at], h).narrow(2, offset_x_[at], w);
    b.images[i].copy_(flip_[at] ? crop.flip({2}) : crop);
  }
  return b;
}

}  // namespace gem::train
