// forward, backward and backward_grad2 for bfloat16 storage (one storage type per file, so the
// kernels compile in parallel).
#include "src/cuda/elementwise.cuh"

namespace gem::cuda {
GEM_CUDA_INSTANTIATE_ELEMENTWISE(bfloat16)
}  // namespace gem::cuda
