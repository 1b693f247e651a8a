// Seeded random numbers of the training harness. SplitMix64 (Steele, Lea, Flood 2014) gives
// the same stream for a seed on every platform and standard library, which std::shuffle and
// std::uniform_int_distribution do not promise. Streams are derived from (seed, purpose,
// index), e.g. the batch order of epoch 7, so resuming needs no saved generator state.
#pragma once

#include <cstdint>
#include <numeric>
#include <vector>

namespace gem::train {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, n), n > 0, without modulo bias (rejection of the short top range).
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r = next();
    while (r >= limit) r = next();
    return r % n;
  }

 private:
  uint64_t state_;
};

/// What a derived stream is for; part of the derived seed so the streams are independent.
enum class Stream : uint64_t {
  batch_order = 1,
  augmentation = 2,
  subset = 3,
  token_windows = 4,
  masking = 5,
  rank_noise = 6
};

inline uint64_t derive_seed(uint64_t seed, Stream purpose, uint64_t index) {
  SplitMix64 mix(seed ^ (static_cast<uint64_t>(purpose) * 0xD1B54A32D192ED03ull));
  mix.next();
  SplitMix64 second(mix.next() ^ (index * 0x9E3779B97F4A7C15ull));
  return second.next();
}

/// 0 .. n-1 in a random order (Fisher-Yates).
inline std::vector<int64_t> random_permutation(int64_t n, SplitMix64& rng) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), int64_t{0});
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(i) + 1));
    std::swap(p[static_cast<size_t>(i)], p[static_cast<size_t>(j)]);
  }
  return p;
}

}  // namespace gem::train
