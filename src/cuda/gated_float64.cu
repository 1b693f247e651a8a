// The gated (GLU) entry points for float64 storage (one storage type per file, so the kernels
// compile in parallel).
#include "src/cuda/gated.cuh"

namespace gem::cuda {
GEM_CUDA_INSTANTIATE_GATED(double)
}  // namespace gem::cuda
