// Device queries behind the grid sizes, cached: launches happen per tensor op, so a query per
// launch would cost more than a small kernel.
#include <map>
#include <mutex>
#include <utility>

#include "src/cuda/launch.cuh"

namespace gem::cuda::detail {

namespace {
std::mutex cache_mutex;
std::map<int, int> sm_counts;                                         // device -> SMs
std::map<std::pair<const void*, int>, int> resident_blocks_cache;  // (kernel, device) -> blocks
}  // namespace

int current_device() {
  int device = 0;
  GEM_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

int sm_count(int device) {
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    const auto it = sm_counts.find(device);
    if (it != sm_counts.end()) return it->second;
  }
  int count = 0;
  GEM_CUDA_CHECK(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device));
  std::lock_guard<std::mutex> lock(cache_mutex);
  sm_counts[device] = count;
  return count;
}

int resident_blocks_per_sm(const void* kernel, int block_threads, int device) {
  const std::pair<const void*, int> key{kernel, device};
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    const auto it = resident_blocks_cache.find(key);
    if (it != resident_blocks_cache.end()) return it->second;
  }
  int blocks = 0;
  if (kernel != nullptr) {
    GEM_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, block_threads, 0));
  } else {
    int threads = 0;
    GEM_CUDA_CHECK(cudaDeviceGetAttribute(&threads, cudaDevAttrMaxThreadsPerMultiProcessor, device));
    blocks = threads / block_threads;
  }
  if (blocks < 1) blocks = 1;
  std::lock_guard<std::mutex> lock(cache_mutex);
  resident_blocks_cache[key] = blocks;
  return blocks;
}

}  // namespace gem::cuda::detail
