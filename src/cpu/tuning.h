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

/// Outputs of at least this many bytes are written with non-temporal stores: far larger than
/// L2 (2 MiB per core here), caching them only evicts the inputs and costs a read for
/// ownership. Measured with gem-kernel-bench on the same VM, streaming vs not (egem N=1):
/// float32 forward n = 2^21 (8 MiB out), 1 thread: 0.61 vs 0.74 ms; n = 2^24, 1 thread:
/// 7.8 vs 11.7 ms, 2 threads: 2.7 vs 7.0 ms; bfloat16 forward n = 2^26, 2 threads: 11.3 vs
/// 26.2 ms. Below 8 MiB (n = 2^20 float32) both paths were within noise.
constexpr std::size_t kStreamMinBytes = std::size_t(8) << 20;

/// Inputs are prefetched this many bytes ahead of the loop: a single core does not keep enough
/// loads in flight on its own. Measured with gem-kernel-bench, float32 forward egem N=1,
/// n = 2^26, 1 thread (single runs while other work shared the machine): 37.1 ms without
/// prefetch; 33.2, 29.5, 26.7, 27.9 ms with 1, 2, 4, 8 KiB (bfloat16: 29.1 ms without, 20.3 ms
/// with 4 KiB).
constexpr std::size_t kPrefetchBytes = 4096;

}  // namespace gem::cpu::tuning
