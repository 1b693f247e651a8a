// How an array is cut for 16-byte vector access (plain C++, host only, so tests run anywhere).
//
// Elementwise kernels read and write whole 16-byte vectors where every pointer they touch is at
// the same offset from a 16-byte boundary: a scalar head up to the first boundary, the vectors,
// a scalar tail. Pointers at different offsets cannot all be aligned at once; then every element
// goes the scalar way (same arithmetic, narrower loads). The row kernels (fused bias, gated) cut
// by columns instead: a thread owns `group` consecutive columns of every row it visits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>

namespace gem::cuda {

constexpr std::size_t kVectorBytes = 16;

/// Elements of T in one 16-byte vector: 2 (double), 4 (float), 8 (16-bit types). A variable,
/// so device code may read it.
template <class T>
constexpr int kVectorLanes = static_cast<int>(kVectorBytes / sizeof(T));

/// [0, head) scalar, [head, head + vectors * lanes) as vectors, the last `tail` elements scalar.
struct VectorSplit {
  std::size_t head = 0, vectors = 0, tail = 0;
};

/// The split of n elements of `elem_bytes` each for pointers that must move together.
inline VectorSplit split_for_vectors(std::size_t n, std::size_t elem_bytes, std::initializer_list<const void*> ptrs) {
  const std::size_t lanes = kVectorBytes / elem_bytes;
  const std::uintptr_t offset = reinterpret_cast<std::uintptr_t>(*ptrs.begin()) % kVectorBytes;
  bool together = offset % elem_bytes == 0;
  for (const void* p : ptrs) together = together && reinterpret_cast<std::uintptr_t>(p) % kVectorBytes == offset;
  if (!together) return {n, 0, 0};
  std::size_t head = ((kVectorBytes - offset) % kVectorBytes) / elem_bytes;
  if (head > n) head = n;
  const std::size_t vectors = (n - head) / lanes;
  return {head, vectors, n - head - vectors * lanes};
}

/// Columns per thread in the row kernels (fused bias, gated): a whole vector when every row
/// starts on a 16-byte boundary (all pointers aligned, channels a multiple of the lanes), else 1.
inline int row_column_group(std::size_t channels, std::size_t elem_bytes, std::initializer_list<const void*> ptrs) {
  const std::size_t lanes = kVectorBytes / elem_bytes;
  bool aligned = channels % lanes == 0;
  for (const void* p : ptrs) aligned = aligned && reinterpret_cast<std::uintptr_t>(p) % kVectorBytes == 0;
  return aligned ? static_cast<int>(lanes) : 1;
}

/// Block and grid shape of the fused bias kernels (256 threads: x across column groups, y
/// across rows). `wave_blocks` is how many blocks the device runs at once.
struct BiasShape {
  unsigned block_x = 1, block_y = 1, grid_x = 1, grid_y = 1;
};

inline BiasShape bias_shape(std::size_t rows, std::size_t channels, int group, std::size_t wave_blocks,
                            unsigned block_threads = 256) {
  const std::size_t groups = (channels + group - 1) / group;
  BiasShape s;
  // Up to a warp across the columns: a warp then reads 32 consecutive vectors of one row, or
  // whole consecutive rows when a row is narrower than a warp.
  while (s.block_x < 32 && s.block_x < groups) s.block_x *= 2;
  s.block_y = block_threads / s.block_x;
  const std::size_t grid_x = (groups + s.block_x - 1) / s.block_x;
  const std::size_t row_blocks = (rows + s.block_y - 1) / s.block_y;
  std::size_t grid_y = wave_blocks / (grid_x > 0 ? grid_x : 1);
  if (grid_y > row_blocks) grid_y = row_blocks;
  if (grid_y > 65535) grid_y = 65535;  // CUDA's limit for gridDim.y
  if (grid_y < 1) grid_y = 1;
  s.grid_x = static_cast<unsigned>(grid_x > 0 ? grid_x : 1);
  s.grid_y = static_cast<unsigned>(grid_y);
  return s;
}

}  // namespace gem::cuda
