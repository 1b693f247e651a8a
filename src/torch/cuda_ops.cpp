// CUDA kernels of the gem operators: the same checks and layouts as cpu_ops.cpp (op_args.h), a
// device guard, buffers from the caching allocator, and the raw-pointer kernels of gem::cuda
// (src/cuda/kernels.h) enqueued on the current stream of x's device. Compiled only when LibTorch
// has CUDA (GEM_TORCH_HAS_CUDA); plain C++, the device code lives in the gem_cuda library.
#include <ATen/MemoryOverlap.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/empty_like.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include <cstddef>
#include <tuple>
#include <utility>

#include "gem/numeric.h"
#include "src/cuda/kernels.h"
#include "src/torch/bias_args.h"
#include "src/torch/flat_tensors.h"
#include "src/torch/op_args.h"

namespace gem::torch_ext {
namespace {

std::size_t count(const at::Tensor& t) { return static_cast<std::size_t>(t.numel()); }

cudaStream_t current_stream() { return c10::cuda::getCurrentCUDAStream().stream(); }

// ---- The kernels of gem::cuda on flat tensors of one layout -----------------------------------

void run_forward(const Params& p, const at::Tensor& x, const at::Tensor& y) {
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cuda::forward<T>(p, data<T>(x), data<T>(y), count(x), current_stream());
  });
}

void run_backward(const Params& p, const at::Tensor& grad_out, const at::Tensor& x, const at::Tensor& grad_in) {
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cuda::backward<T>(p, data<T>(grad_out), data<T>(x), data<T>(grad_in), count(x), current_stream());
  });
}

// ---- Op kernels ---------------------------------------------------------------------------------

at::Tensor forward_with(const char* op, const Params& p, const at::Tensor& x) {
  check_floating(op, "x", x);
  const c10::cuda::CUDAGuard device_guard(x.device());
  const at::Tensor xd = dense(x);
  at::Tensor y = at::empty_like(xd);
  run_forward(p, xd, y);
  return y;
}

at::Tensor backward_with(const char* op, const Params& p, const at::Tensor& grad_out, const at::Tensor& x) {
  check_floating(op, "x", x);
  check_like_x(op, "grad_out", grad_out, x);
  const c10::cuda::CUDAGuard device_guard(x.device());
  const auto [god, xd] = dense_pair(grad_out, x);
  at::Tensor grad_in = at::empty_like(xd);
  run_backward(p, god, xd, grad_in);
  return grad_in;
}

at::Tensor forward_cuda(const at::Tensor& x, c10::string_view variant, int64_t N, double eps) {
  constexpr const char* op = "gem::forward";
  return forward_with(op, params_from(op, variant, N, eps), x);
}

at::Tensor backward_cuda(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view variant, int64_t N,
                         double eps) {
  constexpr const char* op = "gem::backward";
  return backward_with(op, params_from(op, variant, N, eps), grad_out, x);
}

at::Tensor backward_grad2_cuda(const at::Tensor& grad, const at::Tensor& x, c10::string_view variant, int64_t N,
                               double eps) {
  constexpr const char* op = "gem::backward_grad2";
  const Params p = params_from(op, variant, N, eps);
  check_floating(op, "x", x);
  check_like_x(op, "grad", grad, x);
  const c10::cuda::CUDAGuard device_guard(x.device());
  const auto [gd, xd] = dense_pair(grad, x);
  at::Tensor out = at::empty_like(xd);
  dispatch_storage(xd.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cuda::backward_grad2<T>(p, data<T>(gd), data<T>(xd), data<T>(out), count(xd), current_stream());
  });
  return out;
}

at::Tensor& forward_out_cuda(const at::Tensor& x, c10::string_view variant, int64_t N, double eps, at::Tensor& out) {
  constexpr const char* op = "gem::forward_out";
  const Params p = params_from(op, variant, N, eps);
  check_floating(op, "x", x);
  check_out(op, "out", out, x);
  const c10::cuda::CUDAGuard device_guard(x.device());
  const at::Tensor xd = dense(x);
  if (out.is_non_overlapping_and_dense() && out.strides() == xd.strides()) {
    run_forward(p, xd, out);
  } else {
    out.copy_(forward_with(op, p, xd));
  }
  return out;
}

at::Tensor& backward_out_cuda(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view variant, int64_t N,
                              double eps, at::Tensor& grad_in) {
  constexpr const char* op = "gem::backward_out";
  const Params p = params_from(op, variant, N, eps);
  check_floating(op, "x", x);
  check_like_x(op, "grad_out", grad_out, x);
  check_out(op, "grad_in", grad_in, x);
  at::assert_no_partial_overlap(grad_in, grad_out);
  const c10::cuda::CUDAGuard device_guard(x.device());
  const auto [god, xd] = dense_pair(grad_out, x);
  if (grad_in.is_non_overlapping_and_dense() && grad_in.strides() == xd.strides()) {
    run_backward(p, god, xd, grad_in);
  } else {
    grad_in.copy_(backward_with(op, p, god, xd));
  }
  return grad_in;
}

at::Tensor forward_eps_tensor_cuda(const at::Tensor& x, c10::string_view variant, int64_t N, const at::Tensor& eps) {
  constexpr const char* op = "gem::forward_eps_tensor";
  check_floating(op, "x", x);
  return forward_with(op, params_from_eps_tensor(op, variant, N, eps, x), x);
}

at::Tensor backward_eps_tensor_cuda(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view variant,
                                    int64_t N, const at::Tensor& eps) {
  constexpr const char* op = "gem::backward_eps_tensor";
  check_floating(op, "x", x);
  return backward_with(op, params_from_eps_tensor(op, variant, N, eps, x), grad_out, x);
}

at::Tensor eps_partial_cuda(const at::Tensor& x, c10::string_view variant, int64_t N, const at::Tensor& eps,
                            int64_t which) {
  constexpr const char* op = "gem::eps_partial";
  check_floating(op, "x", x);
  TORCH_CHECK_VALUE(which >= 0 && which <= 2, op,
                    ": which must be 0 (df/deps), 1 (d2f/(dx deps)) or 2 (d2f/deps2), got ", which);
  const Params p = params_from_eps_tensor(op, variant, N, eps, x);
  const c10::cuda::CUDAGuard device_guard(x.device());
  const at::Tensor xd = dense(x);
  at::Tensor out = at::empty_like(xd);
  dispatch_storage(xd.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cuda::eps_partial<T>(p, static_cast<int>(which), data<T>(xd), data<T>(out), count(xd), current_stream());
  });
  return out;
}

// ---- Fused bias + activation (schemas in bias_ops.cpp) ------------------------------------------

at::Tensor bias_forward_cuda(const at::Tensor& x, const at::Tensor& bias, c10::string_view variant, int64_t N,
                             double eps) {
  constexpr const char* op = "gem::bias_forward";
  const Params p = params_from(op, variant, N, eps);
  check_bias(op, x, bias);
  const c10::cuda::CUDAGuard device_guard(x.device());
  const at::Tensor xc = x.contiguous(), bc = bias.contiguous();
  at::Tensor y = at::empty_like(xc);
  const BiasExtent e = bias_extent(xc);
  dispatch_storage(xc.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cuda::bias_forward<T>(p, data<T>(xc), data<T>(bc), data<T>(y), e.rows, e.channels, current_stream());
  });
  return y;
}

std::tuple<at::Tensor, at::Tensor> bias_backward_cuda(const at::Tensor& grad_out, const at::Tensor& x,
                                                      const at::Tensor& bias, c10::string_view variant, int64_t N,
                                                      double eps) {
  constexpr const char* op = "gem::bias_backward";
  const Params p = params_from(op, variant, N, eps);
  check_bias(op, x, bias);
  check_like_x(op, "grad_out", grad_out, x);
  const c10::cuda::CUDAGuard device_guard(x.device());
  const at::Tensor goc = grad_out.contiguous(), xc = x.contiguous(), bc = bias.contiguous();
  at::Tensor grad_x = at::empty_like(xc), grad_bias = at::empty_like(bc);
  const BiasExtent e = bias_extent(xc);
  dispatch_storage(xc.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    const std::size_t bytes = cuda::bias_backward_workspace_bytes<T>(e.rows, e.channels);
    // Scratch for the per-block partial sums, from the caching allocator on the current stream.
    const at::Tensor workspace = at::empty({static_cast<int64_t>(bytes)}, xc.options().dtype(at::kByte));
    cuda::bias_backward<T>(p, data<T>(goc), data<T>(xc), data<T>(bc), data<T>(grad_x), data<T>(grad_bias), e.rows,
                           e.channels, workspace.data_ptr(), bytes, current_stream());
  });
  return {std::move(grad_x), std::move(grad_bias)};
}

}  // namespace

TORCH_LIBRARY_IMPL(gem, CUDA, m) {
  m.impl("forward", &forward_cuda);
  m.impl("forward_out", &forward_out_cuda);
  m.impl("backward", &backward_cuda);
  m.impl("backward_out", &backward_out_cuda);
  m.impl("backward_grad2", &backward_grad2_cuda);
  m.impl("forward_eps_tensor", &forward_eps_tensor_cuda);
  m.impl("backward_eps_tensor", &backward_eps_tensor_cuda);
  m.impl("eps_partial", &eps_partial_cuda);
  m.impl("bias_forward", &bias_forward_cuda);
  m.impl("bias_backward", &bias_backward_cuda);
}

}  // namespace gem::torch_ext
