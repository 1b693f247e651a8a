// Training-time augmentation of image batches (applied by EpochBatches, batches.h).
#pragma once

#include <cstdint>

namespace gem::train {

struct Augmentation {
  int64_t pad = 0;    // random crop after padding by this many pixels of black (0: none)
  bool flip = false;  // random horizontal flip with probability 1/2
  bool any() const { return pad > 0 || flip; }
};

}  // namespace gem::train
