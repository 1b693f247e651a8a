// The share of one rank in n items split over the ranks: contiguous, as even as can be (the first
// n % world ranks take one more).
#pragma once

#include <cstdint>

namespace gem::train {

struct Shard {
  int64_t begin = 0, count = 0;
};

inline Shard shard_of(int64_t n, int rank, int world) {
  const int64_t base = n / world, extra = n % world;
  const int64_t begin = rank * base + (rank < extra ? rank : extra);
  return {begin, base + (rank < extra ? 1 : 0)};
}

}  // namespace gem::train
