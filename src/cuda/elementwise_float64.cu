// forward, backward and backward_grad2 for float64 storage (one storage type per file, so the
// kernels compile in parallel).
#include "src/cuda/elementwise.cuh"

namespace gem::cuda {
GEM_CUDA_INSTANTIATE_ELEMENTWISE(double)
}  // namespace gem::cuda
