// The body of every device op, written once: argument checks (op_args.h), layouts and out=
// (flat_tensors.h), allocation, then one call into a device's kernel table (device_kernels.h).
// cpu_ops.cpp, cuda_ops.cpp and meta_ops.cpp each register these bodies with their own table:
//
//   TORCH_LIBRARY_IMPL(gem, CPU, m) { register_device_ops<kCpuKernels>(m); }
//
// so a check, a layout rule or a message cannot differ between devices, and the Meta kernels
// (shape, dtype and strides only, for FakeTensor, torch.compile and torch.export) are the same
// code with kernels that do nothing. No body reads a tensor's values: eps values are read by the
// kernels that need them, never on Meta.
#pragma once

#include <ATen/MemoryOverlap.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/ones_like.h>
#include <ATen/ops/zeros.h>
#include <torch/library.h>

#include <tuple>
#include <utility>

#include "src/torch/bias_args.h"
#include "src/torch/device_kernels.h"
#include "src/torch/flat_tensors.h"
#include "src/torch/gated_args.h"
#include "src/torch/op_args.h"

namespace gem::torch_ext {

/// The activation of a fixed-eps op.
inline EpsChannels fixed_eps(const char* op, c10::string_view variant, int64_t N, double eps) {
  const Params p = params_from(op, variant, N, eps);
  EpsChannels a;
  a.variant = p.variant;
  a.N = p.N;
  a.eps = p.eps;
  return a;
}

/// The activation of an eps-tensor op, its channels laid out as in xd (x made dense); `layout`
/// false (Meta) leaves channels and inner unset, as they need concrete sizes.
inline EpsChannels tensor_eps(const char* op, c10::string_view variant, int64_t N, const at::Tensor& eps,
                              const at::Tensor& xd, int64_t channel_dim, bool layout) {
  const Variant v = variant_from(op, variant);
  EpsChannels a;
  a.variant = v;
  a.N = params_from(op, variant, N, 1.0).N;  // validates N
  check_eps_tensor(op, v, eps, xd, channel_dim);
  a.eps_tensor = eps;
  if (!layout) return a;
  a.channels = eps.numel();
  // In a dense layout, element i's channel is (i / stride) % size along the channel dimension.
  if (a.channels > 1) a.inner = xd.stride(channel_dimension(xd, channel_dim));
  return a;
}

template <const DeviceKernels& K>
struct DeviceOps {
  // ---- Bodies shared by the ops below ----

  /// Whether a kernel runs: never on Meta, never for an empty tensor.
  static bool has_work(const at::Tensor& t) { return K.computes && t.numel() > 0; }

  static EpsChannels eps_of(const char* op, c10::string_view variant, int64_t N, const at::Tensor& eps,
                            const at::Tensor& xd, int64_t channel_dim) {
    return tensor_eps(op, variant, N, eps, xd, channel_dim, K.computes);
  }

  static at::Tensor forward_with(const char* op, const EpsChannels& a, const at::Tensor& xd) {
    at::Tensor y = at::empty_like(xd);  // dense xd: y gets its strides (channels-last stays)
    if (has_work(xd)) K.forward(op, a, xd, y);
    return y;
  }

  static at::Tensor backward_with(const char* op, const EpsChannels& a, const at::Tensor& god, const at::Tensor& xd) {
    at::Tensor grad_in = at::empty_like(xd);
    if (has_work(xd)) K.backward(op, a, god, xd, grad_in);
    return grad_in;
  }

  static at::Tensor backward_grad2_with(const char* op, const EpsChannels& a, const at::Tensor& gd,
                                        const at::Tensor& xd) {
    at::Tensor out = at::empty_like(xd);
    if (has_work(xd)) K.backward_grad2(op, a, gd, xd, out);
    return out;
  }

  /// out= : the kernel writes into `out` when it has xd's layout, else a fresh result is copied in.
  template <class Fresh, class InPlace>
  static at::Tensor& write_out(at::Tensor& out, const at::Tensor& xd, const Fresh& fresh, const InPlace& in_place) {
    if (!writable_in_place(out, xd)) {
      out.copy_(fresh());
    } else if (has_work(xd)) {
      in_place();
    }
    return out;
  }

  static void check_pair(const char* op, const char* name, const at::Tensor& other, const at::Tensor& x) {
    check_floating(op, "x", x);
    check_like_x(op, name, other, x);
  }

  // ---- Fixed eps ----

  static at::Tensor forward(const at::Tensor& x, c10::string_view variant, int64_t N, double eps) {
    constexpr const char* op = "gem::forward";
    const EpsChannels a = fixed_eps(op, variant, N, eps);
    check_floating(op, "x", x);
    return forward_with(op, a, dense(x));
  }

  static at::Tensor& forward_out(const at::Tensor& x, c10::string_view variant, int64_t N, double eps,
                                 at::Tensor& out) {
    constexpr const char* op = "gem::forward_out";
    const EpsChannels a = fixed_eps(op, variant, N, eps);
    check_floating(op, "x", x);
    check_out(op, "out", out, x);
    const at::Tensor xd = dense(x);
    return write_out(
        out, xd, [&] { return forward_with(op, a, xd); }, [&] { K.forward(op, a, xd, out); });
  }

  /// g f'(x) (Quantity::grad) or g f''(x) (Quantity::grad2): the two products a backward needs.
  template <Quantity q>
  static at::Tensor times_derivative(const char* op, const char* g_name, const at::Tensor& g, const at::Tensor& x,
                                     c10::string_view variant, int64_t N, double eps) {
    const EpsChannels a = fixed_eps(op, variant, N, eps);
    check_pair(op, g_name, g, x);
    const auto [gd, xd] = dense_pair(g, x);
    if constexpr (q == Quantity::grad)
      return backward_with(op, a, gd, xd);
    else
      return backward_grad2_with(op, a, gd, xd);
  }

  static at::Tensor backward(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view variant, int64_t N,
                             double eps) {
    return times_derivative<Quantity::grad>("gem::backward", "grad_out", grad_out, x, variant, N, eps);
  }

  static at::Tensor& backward_out(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view variant, int64_t N,
                                  double eps, at::Tensor& grad_in) {
    constexpr const char* op = "gem::backward_out";
    const EpsChannels a = fixed_eps(op, variant, N, eps);
    check_pair(op, "grad_out", grad_out, x);
    check_out(op, "grad_in", grad_in, x);
    at::assert_no_partial_overlap(grad_in, grad_out);
    const auto [god, xd] = dense_pair(grad_out, x);
    return write_out(
        grad_in, xd, [&] { return backward_with(op, a, god, xd); }, [&] { K.backward(op, a, god, xd, grad_in); });
  }

  static at::Tensor backward_grad2(const at::Tensor& grad, const at::Tensor& x, c10::string_view variant, int64_t N,
                                   double eps) {
    return times_derivative<Quantity::grad2>("gem::backward_grad2", "grad", grad, x, variant, N, eps);
  }

  /// f^(k)(x) for any order k: k <= 2 are forward, backward and backward_grad2 (the same bits),
  /// higher orders the device's derivative kernel.
  static at::Tensor derivative(const at::Tensor& x, c10::string_view variant, int64_t N, double eps, int64_t k) {
    constexpr const char* op = "gem::derivative";
    const EpsChannels a = fixed_eps(op, variant, N, eps);
    const int order = derivative_order_from(op, k);
    check_floating(op, "x", x);
    const at::Tensor xd = dense(x);
    if (order == 0) return forward_with(op, a, xd);
    if (order <= 2) {
      const at::Tensor ones = at::ones_like(xd);  // dense like xd
      return order == 1 ? backward_with(op, a, ones, xd) : backward_grad2_with(op, a, ones, xd);
    }
    at::Tensor out = at::empty_like(xd);
    if (has_work(xd)) K.derivative(Params{a.variant, a.N, a.eps}, order, xd, out);
    return out;
  }

  // ---- eps a tensor: one value, or one per channel ----

  static at::Tensor forward_eps_tensor(const at::Tensor& x, c10::string_view variant, int64_t N, const at::Tensor& eps,
                                       int64_t channel_dim) {
    constexpr const char* op = "gem::forward_eps_tensor";
    check_floating(op, "x", x);
    const at::Tensor xd = dense(x);
    return forward_with(op, eps_of(op, variant, N, eps, xd, channel_dim), xd);
  }

  static at::Tensor backward_eps_tensor(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view variant,
                                        int64_t N, const at::Tensor& eps, int64_t channel_dim) {
    constexpr const char* op = "gem::backward_eps_tensor";
    check_pair(op, "grad_out", grad_out, x);
    const auto [god, xd] = dense_pair(grad_out, x);
    return backward_with(op, eps_of(op, variant, N, eps, xd, channel_dim), god, xd);
  }

  static at::Tensor backward_grad2_eps_tensor(const at::Tensor& grad, const at::Tensor& x, c10::string_view variant,
                                              int64_t N, const at::Tensor& eps, int64_t channel_dim) {
    constexpr const char* op = "gem::backward_grad2_eps_tensor";
    check_pair(op, "grad", grad, x);
    const auto [gd, xd] = dense_pair(grad, x);
    return backward_grad2_with(op, eps_of(op, variant, N, eps, xd, channel_dim), gd, xd);
  }

  static std::tuple<at::Tensor, at::Tensor> eps_tensor_grads(const at::Tensor& grad_out, const at::Tensor& x,
                                                             c10::string_view variant, int64_t N, const at::Tensor& eps,
                                                             int64_t channel_dim) {
    constexpr const char* op = "gem::eps_tensor_grads";
    check_pair(op, "grad_out", grad_out, x);
    const auto [god, xd] = dense_pair(grad_out, x);
    const EpsChannels a = eps_of(op, variant, N, eps, xd, channel_dim);
    at::Tensor grad_in = at::empty_like(xd);
    at::Tensor eps_grad = at::zeros_like(eps, at::MemoryFormat::Contiguous);  // the kernel writes `channels` values
    if (has_work(xd)) K.eps_grads(op, a, god, xd, grad_in, eps_grad);
    return {std::move(grad_in), std::move(eps_grad)};
  }

  static at::Tensor eps_partial(const at::Tensor& x, c10::string_view variant, int64_t N, const at::Tensor& eps,
                                int64_t which, int64_t channel_dim) {
    constexpr const char* op = "gem::eps_partial";
    check_floating(op, "x", x);
    TORCH_CHECK_VALUE(which >= 0 && which <= 2, op,
                      ": which must be 0 (df/deps), 1 (d2f/(dx deps)) or 2 (d2f/deps2), got ", which);
    const at::Tensor xd = dense(x);
    const EpsChannels a = eps_of(op, variant, N, eps, xd, channel_dim);
    at::Tensor out = at::empty_like(xd);
    if (has_work(xd)) K.eps_partial(op, a, eps_partial_quantity(which), xd, out);
    return out;
  }

  // ---- Fused bias + activation (schemas in bias_ops.cpp) ----

  static at::Tensor bias_forward(const at::Tensor& x, const at::Tensor& bias, c10::string_view variant, int64_t N,
                                 double eps) {
    constexpr const char* op = "gem::bias_forward";
    const Params p = params_from(op, variant, N, eps);
    check_bias(op, x, bias);
    const at::Tensor xc = x.contiguous(), bc = bias.contiguous();
    at::Tensor y = at::empty_like(xc);
    if (has_work(xc)) K.bias_forward(p, xc, bc, y);
    return y;
  }

  static std::tuple<at::Tensor, at::Tensor> bias_backward(const at::Tensor& grad_out, const at::Tensor& x,
                                                          const at::Tensor& bias, c10::string_view variant, int64_t N,
                                                          double eps) {
    constexpr const char* op = "gem::bias_backward";
    const Params p = params_from(op, variant, N, eps);
    check_bias(op, x, bias);
    check_like_x(op, "grad_out", grad_out, x);
    const at::Tensor goc = grad_out.contiguous(), xc = x.contiguous(), bc = bias.contiguous();
    at::Tensor grad_x = at::empty_like(xc), grad_bias = at::zeros_like(bc);
    if (has_work(xc)) K.bias_backward(p, goc, xc, bc, grad_x, grad_bias);
    return {std::move(grad_x), std::move(grad_bias)};
  }

  // ---- Gated (GLU) activation (schemas in gated_ops.cpp) ----

  static at::Tensor glu_forward(const at::Tensor& x, c10::string_view variant, int64_t N, double eps) {
    constexpr const char* op = "gem::glu_forward";
    const Params p = params_from(op, variant, N, eps);
    check_gated(op, x);
    const at::Tensor xc = x.contiguous();
    at::Tensor y = at::empty_symint(gated_half_shape(xc), xc.options());
    if (has_work(y)) K.gated_forward(p, xc, y);
    return y;
  }

  static at::Tensor glu_backward(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view variant, int64_t N,
                                 double eps) {
    constexpr const char* op = "gem::glu_backward";
    const Params p = params_from(op, variant, N, eps);
    check_gated(op, x);
    check_gated_grad(op, grad_out, x);
    const at::Tensor goc = grad_out.contiguous(), xc = x.contiguous();
    at::Tensor grad_x = at::empty_like(xc);
    if (has_work(goc)) K.gated_backward(p, goc, xc, grad_x);
    return grad_x;
  }
};

/// Registers every device op of the gem library with the kernels of one device.
template <const DeviceKernels& K>
void register_device_ops(torch::Library& m) {
  using Ops = DeviceOps<K>;
  m.impl("forward", &Ops::forward);
  m.impl("forward_out", &Ops::forward_out);
  m.impl("backward", &Ops::backward);
  m.impl("backward_out", &Ops::backward_out);
  m.impl("backward_grad2", &Ops::backward_grad2);
  m.impl("forward_eps_tensor", &Ops::forward_eps_tensor);
  m.impl("backward_eps_tensor", &Ops::backward_eps_tensor);
  m.impl("backward_grad2_eps_tensor", &Ops::backward_grad2_eps_tensor);
  m.impl("eps_tensor_grads", &Ops::eps_tensor_grads);
  m.impl("eps_partial", &Ops::eps_partial);
  m.impl("bias_forward", &Ops::bias_forward);
  m.impl("bias_backward", &Ops::bias_backward);
  m.impl("glu_forward", &Ops::glu_forward);
  m.impl("glu_backward", &Ops::glu_backward);
  m.impl("derivative", &Ops::derivative);
}

}  // namespace gem::torch_ext
