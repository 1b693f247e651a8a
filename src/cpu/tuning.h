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

// The lane arithmetic (include/gem/act/gem_lanes.h), tried 2026-12-07 on the AMD EPYC VM
// (AVX3 target), in cache: gem bench --n 32768, 1 thread, E-GEM eps 1e-4, median of 201 calls,
// three runs alternating with the unchanged binary (ns per element; a memcpy of the same bytes
// took 0.071 ns for float32 that day, against 0.044 ns on 2026-12-06: the VM's speed moves).
//  - A reciprocal estimate (rcp14) and one Newton step in place of the float divider: float32
//    N = 1 0.207 against 0.171-0.178, N = 2 0.226 against 0.190-0.207, bfloat16 0.29-0.31
//    against 0.255-0.30. Slower: three more operations, and the divider is not what limits these
//    loops here; it would also give up the bits shared with the reference and CUDA. Not kept.
//  - E-GEM's far-field check (q below the format's resolution) as a rarely taken branch instead
//    of a blend: float32 N = 1 0.161-0.165 against 0.171; N = 2 and bfloat16 unchanged. A gain
//    in one case of four, within two spreads. Not kept.
//  - N = 1 without multiplying t by one in lane_powers: 0.171 both ways. Kept: one operation
//    fewer for the same bits.

// The gated (GLU) kernels (gated_kernels.cc) use the same prefetch distance and streaming
// threshold. Measured 2026-12-07 with gem-torch-bench (4096 x [2048 | 2048] float32, preallocated
// outputs, median of 9, 2 threads): forward 3.57 ms with plain stores and no prefetch, 2.66 ms
// with both; backward 5.39 -> 3.68 ms; bfloat16 forward 1.96 -> 1.65 ms.

}  // namespace gem::cpu::tuning
