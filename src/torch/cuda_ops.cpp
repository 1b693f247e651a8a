// The CUDA kernels of the gem operators: the table device_ops.h's op bodies call, each entry a
// device guard for x's device, then the storage type's gem::cuda kernel (src/cuda/kernels.h)
// enqueued on that device's current stream, scratch from the caching allocator. Compiled only
// when LibTorch has CUDA (GEM_TORCH_HAS_CUDA); plain C++, the device code is the gem_cuda library.
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/empty_like.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include <cstddef>
#include <vector>

#include "src/cuda/kernels.h"
#include "src/torch/device_ops.h"

namespace gem::torch_ext {
namespace {

std::size_t count(const at::Tensor& t) { return static_cast<std::size_t>(t.numel()); }

cudaStream_t current_stream() { return c10::cuda::getCurrentCUDAStream().stream(); }

// One eps: the lane-form kernels with Params. One per channel: gem::cuda::channel_op with the
// channels' constants in device scratch.
void run(const char* op, const EpsChannels& a, Quantity what, const at::Tensor* g, const at::Tensor& x,
         const at::Tensor& out) {
  const c10::cuda::CUDAGuard device_guard(x.device());
  const std::vector<double> eps = eps_values(op, a);  // one device sync when eps is a tensor
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    const T* gp = g ? data<T>(*g) : nullptr;
    if (eps.size() == 1) {  // the lane-form kernels, except for products with an eps-derivative
      const Params p{a.variant, a.N, eps[0]};
      switch (what) {
        case Quantity::value:
          cuda::forward<T>(p, data<T>(x), data<T>(out), count(x), current_stream());
          return;
        case Quantity::grad:
          cuda::backward<T>(p, gp, data<T>(x), data<T>(out), count(x), current_stream());
          return;
        case Quantity::grad2:
          cuda::backward_grad2<T>(p, gp, data<T>(x), data<T>(out), count(x), current_stream());
          return;
        default:
          if (!gp) {
            cuda::eps_partial<T>(p, what, data<T>(x), data<T>(out), count(x), current_stream());
            return;
          }
      }
    }
    const std::size_t bytes = cuda::channel_table_bytes<T>(eps.size());
    const at::Tensor table = at::empty({static_cast<int64_t>(bytes)}, x.options().dtype(at::kByte));
    cuda::channel_op<T>(what, a.variant, a.N, eps.data(), eps.size(), static_cast<std::size_t>(a.inner), gp, data<T>(x),
                        data<T>(out), count(x), table.data_ptr(), bytes, current_stream());
  });
}

void forward(const char* op, const EpsChannels& a, const at::Tensor& x, const at::Tensor& y) {
  run(op, a, Quantity::value, nullptr, x, y);
}

void backward(const char* op, const EpsChannels& a, const at::Tensor& grad_out, const at::Tensor& x,
              const at::Tensor& grad_in) {
  run(op, a, Quantity::grad, &grad_out, x, grad_in);
}

void backward_grad2(const char* op, const EpsChannels& a, const at::Tensor& grad, const at::Tensor& x,
                    const at::Tensor& out) {
  run(op, a, Quantity::grad2, &grad, x, out);
}

// grad_in by the backward kernel; the eps gradient as grad_out df/deps per element, summed per
// channel by torch's deterministic reduction (in float, double for double), rounded once.
void eps_grads(const char* op, const EpsChannels& a, const at::Tensor& grad_out, const at::Tensor& x,
               const at::Tensor& grad_in, const at::Tensor& eps_grad) {
  run(op, a, Quantity::grad, &grad_out, x, grad_in);
  const at::Tensor products = at::empty({x.numel()}, x.options());  // flat: element i is in channel (i / inner) % C
  run(op, a, Quantity::df_deps, &grad_out, x, products);
  const at::ScalarType acc = x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  const std::vector<int64_t> others{0, 2};
  eps_grad.view({-1}).copy_(products.view({-1, a.channels, a.inner}).sum(others, /*keepdim=*/false, acc));
}

void eps_partial(const char* op, const EpsChannels& a, Quantity which, const at::Tensor& x, const at::Tensor& out) {
  run(op, a, which, nullptr, x, out);
}

void bias_forward(const Params& p, const at::Tensor& x, const at::Tensor& bias, const at::Tensor& y) {
  const c10::cuda::CUDAGuard device_guard(x.device());
  const BiasExtent e = bias_extent(x);
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cuda::bias_forward<T>(p, data<T>(x), data<T>(bias), data<T>(y), e.rows, e.channels, current_stream());
  });
}

void bias_backward(const Params& p, const at::Tensor& grad_out, const at::Tensor& x, const at::Tensor& bias,
                   const at::Tensor& grad_x, const at::Tensor& grad_bias) {
  const c10::cuda::CUDAGuard device_guard(x.device());
  const BiasExtent e = bias_extent(x);
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    const std::size_t bytes = cuda::bias_backward_workspace_bytes<T>(e.rows, e.channels);
    // Scratch for the per-block partial sums, from the caching allocator on the current stream.
    const at::Tensor workspace = at::empty({static_cast<int64_t>(bytes)}, x.options().dtype(at::kByte));
    cuda::bias_backward<T>(p, data<T>(grad_out), data<T>(x), data<T>(bias), data<T>(grad_x), data<T>(grad_bias), e.rows,
                           e.channels, workspace.data_ptr(), bytes, current_stream());
  });
}

void gated_forward(const Params& p, const at::Tensor& x, const at::Tensor& y) {
  const c10::cuda::CUDAGuard device_guard(x.device());
  const GatedExtent e = gated_extent(x);
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cuda::gated_forward<T>(p, data<T>(x), data<T>(y), e.rows, e.channels, current_stream());
  });
}

void gated_backward(const Params& p, const at::Tensor& grad_out, const at::Tensor& x, const at::Tensor& grad_x) {
  const c10::cuda::CUDAGuard device_guard(x.device());
  const GatedExtent e = gated_extent(x);
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cuda::gated_backward<T>(p, data<T>(grad_out), data<T>(x), data<T>(grad_x), e.rows, e.channels, current_stream());
  });
}

void derivative(const Params& p, int k, const at::Tensor& x, const at::Tensor& out) {
  const c10::cuda::CUDAGuard device_guard(x.device());
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    cuda::derivative<decltype(tag)>(p, k, data<decltype(tag)>(x), data<decltype(tag)>(out), count(x), current_stream());
  });
}

constexpr DeviceKernels kCudaKernels{&forward,      &backward,      &backward_grad2, &eps_grads,      &eps_partial,
                                     &bias_forward, &bias_backward, &gated_forward,  &gated_backward, &derivative};

}  // namespace

TORCH_LIBRARY_IMPL(gem, CUDA, m) { register_device_ops<kCudaKernels>(m); }

}  // namespace gem::torch_ext
