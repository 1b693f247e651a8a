// Sizes that decide how the kernels split and store large arrays, with how each was measured.
// Tests use them to reach every path.
#pragma once

#include <cstddef>

namespace gem::cpu::tuning {

/// Elements per OpenMP chunk, handed out statically. A multiple of every vector length, so
/// chunk boundaries keep the alignment of the base pointer.
constexpr std::size_t kChunk = std::size_t(1) << 15;

/// Below this many elements one thread does everything (MEASUREMENT PENDING).
constexpr std::size_t kParallelMin = std::size_t(1) << 15;

/// Outputs of at least this many bytes are written with non-temporal stores (MEASUREMENT PENDING).
constexpr std::size_t kStreamMinBytes = std::size_t(8) << 20;

}  // namespace gem::cpu::tuning
