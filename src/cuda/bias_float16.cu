// The fused bias + activation entry points for float16 storage (one storage type per file, so
// the kernels compile in parallel).
#include "src/cuda/bias.cuh"

namespace gem::cuda {
GEM_CUDA_INSTANTIATE_BIAS(half)
}  // namespace gem::cuda
