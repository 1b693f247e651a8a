// Launch plumbing shared by every kernel of this folder: error checks, the device's size, and
// grids sized from it (SM count x resident blocks per SM) for grid-stride loops.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <stdexcept>
#include <string>

/// Throws std::runtime_error naming the call, the CUDA error and the place when `expr` fails.
#define GEM_CUDA_CHECK(expr) ::gem::cuda::detail::check_cuda((expr), #expr, __FILE__, __LINE__)

namespace gem::cuda::detail {

/// Threads per block of every kernel here: 8 warps, so 8 blocks fill an SM of 2048 threads.
constexpr int kBlockThreads = 256;

inline void check_cuda(cudaError_t err, const char* expr, const char* file, int line) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string("gem::cuda: ") + expr + " failed: " + cudaGetErrorName(err) + " (" +
                             cudaGetErrorString(err) + ") at " + file + ":" + std::to_string(line));
}

/// The device this thread works on (cudaGetDevice), checked.
int current_device();

/// Number of multiprocessors of `device` (cached).
int sm_count(int device);

/// Blocks of `block_threads` threads that fit on one SM at once: for `kernel` by its register
/// and shared-memory use (cudaOccupancyMaxActiveBlocksPerMultiprocessor, cached per kernel and
/// device), or with kernel == nullptr by the SM's thread limit alone (an upper bound).
int resident_blocks_per_sm(const void* kernel, int block_threads, int device);

/// Blocks for a grid-stride loop over `work_items` items of one thread each: enough to cover
/// the work, at most what the device holds at once (one full wave), at least 1.
inline unsigned grid_blocks(std::size_t work_items, const void* kernel) {
  const int device = current_device();
  const std::size_t wave =
      static_cast<std::size_t>(sm_count(device)) * resident_blocks_per_sm(kernel, kBlockThreads, device);
  const std::size_t needed = (work_items + kBlockThreads - 1) / kBlockThreads;
  const std::size_t blocks = needed < wave ? needed : wave;
  return static_cast<unsigned>(blocks > 0 ? blocks : 1);
}

}  // namespace gem::cuda::detail
