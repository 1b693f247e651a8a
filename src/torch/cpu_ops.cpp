// CPU kernels of the gem operators: check arguments, pick the storage type, make the buffers
// flat once, allocate, and call the raw-pointer kernels of gem::cpu (src/cpu/kernels.h). The
// eps-derivatives (only used with a learnable eps) loop here over include/gem/act/gem_eps_grad.h.
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty_like.h>
#include <torch/library.h>

#include <cstddef>

#include "gem/act/gem_eps_grad.h"
#include "gem/numeric.h"
#include "gem/torch/functional.h"
#include "src/cpu/kernels.h"
#include "src/torch/flat_tensors.h"
#include "src/torch/op_args.h"

namespace gem::torch_ext {
namespace {

std::size_t count(const at::Tensor& t) { return static_cast<std::size_t>(t.numel()); }

// ---- The three kernels of gem::cpu on flat tensors of one layout --------------------------------

void run_forward(const Params& p, const at::Tensor& x, const at::Tensor& y) {
  if (x.numel() == 0) return;
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cpu::forward<T>(p, data<T>(x), data<T>(y), count(x), at::get_num_threads());
  });
}

void run_backward(const Params& p, const at::Tensor& grad_out, const at::Tensor& x, const at::Tensor& grad_in) {
  if (x.numel() == 0) return;
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cpu::backward<T>(p, data<T>(grad_out), data<T>(x), data<T>(grad_in), count(x), at::get_num_threads());
  });
}

void run_backward_grad2(const Params& p, const at::Tensor& grad, const at::Tensor& x, const at::Tensor& out) {
  if (x.numel() == 0) return;
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cpu::backward_grad2<T>(p, data<T>(grad), data<T>(x), data<T>(out), count(x), at::get_num_threads());
  });
}

// ---- Op kernels ---------------------------------------------------------------------------------

at::Tensor forward_with(const char* op, const Params& p, const at::Tensor& x) {
  check_floating(op, "x", x);
  const at::Tensor xd = dense(x);
  at::Tensor y = at::empty_like(xd);
  run_forward(p, xd, y);
  return y;
}

at::Tensor backward_with(const char* op, const Params& p, const at::Tensor& grad_out, const at::Tensor& x) {
  check_floating(op, "x", x);
  check_like_x(op, "grad_out", grad_out, x);
  const auto [god, xd] = dense_pair(grad_out, x);
  at::Tensor grad_in = at::empty_like(xd);
  run_backward(p, god, xd, grad_in);
  return grad_in;
}

at::Tensor forward_cpu(const at::Tensor& x, c10::string_view variant, int64_t N, double eps) {
  constexpr const char* op = "gem::forward";
  return forward_with(op, params_from(op, variant, N, eps), x);
}

at::Tensor backward_cpu(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view variant, int64_t N,
                        double eps) {
  constexpr const char* op = "gem::backward";
  return backward_with(op, params_from(op, variant, N, eps), grad_out, x);
}

at::Tensor backward_grad2_cpu(const at::Tensor& grad, const at::Tensor& x, c10::string_view variant, int64_t N,
                              double eps) {
  constexpr const char* op = "gem::backward_grad2";
  const Params p = params_from(op, variant, N, eps);
  check_floating(op, "x", x);
  check_like_x(op, "grad", grad, x);
  const auto [gd, xd] = dense_pair(grad, x);
  at::Tensor out = at::empty_like(xd);
  run_backward_grad2(p, gd, xd, out);
  return out;
}

at::Tensor& forward_out_cpu(const at::Tensor& x, c10::string_view variant, int64_t N, double eps, at::Tensor& out) {
  constexpr const char* op = "gem::forward_out";
  const Params p = params_from(op, variant, N, eps);
  check_floating(op, "x", x);
  check_out(op, "out", out, x);
  const at::Tensor xd = dense(x);
  if (writable_in_place(out, xd)) {
    run_forward(p, xd, out);
  } else {
    out.copy_(forward_with(op, p, xd));
  }
  return out;
}

at::Tensor& backward_out_cpu(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view variant, int64_t N,
                             double eps, at::Tensor& grad_in) {
  constexpr const char* op = "gem::backward_out";
  const Params p = params_from(op, variant, N, eps);
  check_floating(op, "x", x);
  check_like_x(op, "grad_out", grad_out, x);
  check_out(op, "grad_in", grad_in, x);
  at::assert_no_partial_overlap(grad_in, grad_out);
  const auto [god, xd] = dense_pair(grad_out, x);
  if (writable_in_place(grad_in, xd)) {
    run_backward(p, god, xd, grad_in);
  } else {
    grad_in.copy_(backward_with(op, p, god, xd));
  }
  return grad_in;
}

at::Tensor forward_eps_tensor_cpu(const at::Tensor& x, c10::string_view variant, int64_t N, const at::Tensor& eps) {
  constexpr const char* op = "gem::forward_eps_tensor";
  check_floating(op, "x", x);
  return forward_with(op, params_from_eps_tensor(op, variant, N, eps, x), x);
}

at::Tensor backward_eps_tensor_cpu(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view variant,
                                   int64_t N, const at::Tensor& eps) {
  constexpr const char* op = "gem::backward_eps_tensor";
  check_floating(op, "x", x);
  return backward_with(op, params_from_eps_tensor(op, variant, N, eps, x), grad_out, x);
}

// About 17 ns per element (float32, one thread, scalar frexp/ldexp; torch.ops.gem.eps_partial on
// 2^22 elements, 2-core development VM under load): chunks of 2^13 elements take over 100 us,
// far above the cost of a parallel region.
constexpr int64_t kEpsPartialGrain = 1 << 13;

template <class T>
void eps_partial_kernel(const Params& p, EpsPartialKind which, const T* x, T* out, int64_t n) {
  using W = opmath_t<T>;  // no binary64 fallback needed: the eps split keeps any eps exact
  const EpsGradConstants<W> c = make_eps_grad_constants<W>(p.N, p.eps);
  at::parallel_for(0, n, kEpsPartialGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      out[i] = narrow<T>(gem_eps_partial(p.variant, which, static_cast<W>(widen(x[i])), c));
  });
}

at::Tensor eps_partial_cpu(const at::Tensor& x, c10::string_view variant, int64_t N, const at::Tensor& eps,
                           int64_t which) {
  constexpr const char* op = "gem::eps_partial";
  check_floating(op, "x", x);
  TORCH_CHECK_VALUE(which >= 0 && which <= 2, op,
                    ": which must be 0 (df/deps), 1 (d2f/(dx deps)) or 2 (d2f/deps2), got ", which);
  const Params p = params_from_eps_tensor(op, variant, N, eps, x);
  const at::Tensor xd = dense(x);
  at::Tensor out = at::empty_like(xd);
  if (xd.numel() == 0) return out;
  dispatch_storage(xd.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    eps_partial_kernel<T>(p, static_cast<EpsPartialKind>(which), data<T>(xd), data<T>(out), xd.numel());
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(gem, CPU, m) {
  m.impl("forward", &forward_cpu);
  m.impl("forward_out", &forward_out_cpu);
  m.impl("backward", &backward_cpu);
  m.impl("backward_out", &backward_out_cpu);
  m.impl("backward_grad2", &backward_grad2_cpu);
  m.impl("forward_eps_tensor", &forward_eps_tensor_cpu);
  m.impl("backward_eps_tensor", &backward_eps_tensor_cpu);
  m.impl("eps_partial", &eps_partial_cpu);
}

}  // namespace gem::torch_ext
