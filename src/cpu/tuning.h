// Sizes that decide how the kernels split and store large arrays, with how each was measured.
// Tests use them to reach every path.
#pragma once

#include <cstddef>

namespace gem::cpu::tuning {

/// Elements per OpenMP chunk, handed out statically (each thread gets one contiguous run of
/// chunks). A multiple of every vector length, so chunk boundaries keep the alignment of the
/// base pointer; half of kParallelMin, so that the smallest parallel call feeds two threads.
constexpr std::size_t kChunk = std::size_t(1) << 13;

/// Below this many elements one thread does everything. Measured on the 2-core Sapphire
/// Rapids VM (float32 egem N=2 forward, in-cache, best of 7, kParallelMin = 0 and 2^11-element
/// chunks for the sweep): 2 threads vs 1 at n = 4096: 0.60x, 8192: 0.90x, 16384: 1.15x,
/// 32768: 1.69x, 2^20: 2.0x (fork/join costs a few microseconds).
constexpr std::size_t kParallelMin = std::size_t(1) << 14;

/// Outputs of at least this many bytes are written with non-temporal stores (MEASUREMENT PENDING).
constexpr std::size_t kStreamMinBytes = std::size_t(8) << 20;

/// Inputs are prefetched this many bytes ahead of the loop (MEASUREMENT PENDING).
constexpr std::size_t kPrefetchBytes = 4096;

}  // namespace gem::cpu::tuning
