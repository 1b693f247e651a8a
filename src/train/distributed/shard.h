// The share of one rank in n items split over the ranks: contiguous, as even as can be (the first
// n % world ranks take one more).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace gem::train {

struct Shard {
  int64_t begin = 0, count = 0;
};

/// Throws std::invalid_argument unless the global batch splits evenly over `ranks`.
inline void require_even_split(int64_t batch_size, int ranks) {
  if (batch_size % ranks != 0)
    throw std::invalid_argument(
        "--batch-size " + std::to_string(batch_size) + " does not split evenly over " + std::to_string(ranks) +
        " ranks: the batch size is the global batch, so use a multiple of " + std::to_string(ranks));
}

inline Shard shard_of(int64_t n, int rank, int world) {
  const int64_t base = n / world, extra = n % world;
  const int64_t begin = rank * base + (rank < extra ? rank : extra);
  return {begin, base + (rank < extra ? 1 : 0)};
}

}  // namespace gem::train
