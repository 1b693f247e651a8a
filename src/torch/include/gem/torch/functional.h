// C++ entry points to the `gem` operators (src/torch/schemas.cpp). Each call goes through the
// dispatcher, so it picks the device kernel and records autograd exactly as torch.ops.gem.* does
// from Python.
//
//   forward(x, p)               f(x), any shape and strides, float64/32/16 and bfloat16
//   backward(grad_out, x, p)    grad_out * f'(x)
//   backward_grad2(grad, x, p)  grad * f''(x)
//   derivative(x, p or spec, k) f^(k)(x) for any order k >= 0, differentiable to any order
//   forward_eps_tensor(x, variant, N, eps, channel_dim)   f(x) with eps a tensor, one value or one
//                               per channel along channel_dim (as PReLU's weight), differentiable
//                               in x and eps (first and second order)
//   activation(x, spec)         any spec of include/gem/spec.h; relu, gelu, silu, mish, elu and
//                               leaky_relu run torch's own functions
//   glu(x, spec or p)           gated: f(a) * b for x = [a | b] along the last dimension (one
//                               projection's two halves); one fused pass each way for the GEM
//                               family, torch's activation times b for the others
//
// Errors are c10::Error: ValueError for bad parameters, TypeError for bad dtypes.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <tuple>

#include "gem/params.h"
#include "gem/quantity.h"

namespace gem::torch_ext {

at::Tensor forward(const at::Tensor& x, const Params& p);
at::Tensor forward(const at::Tensor& x, const std::string& spec);
/// Writes f(x) into `out` (resized to x's shape when it differs); no autograd.
at::Tensor& forward_out(at::Tensor& out, const at::Tensor& x, const Params& p);

at::Tensor backward(const at::Tensor& grad_out, const at::Tensor& x, const Params& p);
at::Tensor backward(const at::Tensor& grad_out, const at::Tensor& x, const std::string& spec);
/// Writes grad_out * f'(x) into `grad_in`; no autograd.
at::Tensor& backward_out(at::Tensor& grad_in, const at::Tensor& grad_out, const at::Tensor& x, const Params& p);

at::Tensor backward_grad2(const at::Tensor& grad, const at::Tensor& x, const Params& p);

/// f^(k)(x), 0 <= k <= kMaxDerivativeOrder (include/gem/act/gem_derivative.h); its gradient is
/// the (k+1)-th derivative, so autograd goes to any depth. The spec must be a GEM-family spec.
at::Tensor derivative(const at::Tensor& x, const Params& p, int64_t k);
at::Tensor derivative(const at::Tensor& x, const std::string& spec, int64_t k);

/// variant is Variant::egem or Variant::segem (GEM has no eps); eps holds one value > 0 or one per
/// channel: a one-dimensional tensor of x.size(channel_dim) values.
at::Tensor forward_eps_tensor(const at::Tensor& x, Variant variant, int N, const at::Tensor& eps,
                              int64_t channel_dim = 1);
at::Tensor backward_eps_tensor(const at::Tensor& grad_out, const at::Tensor& x, Variant variant, int N,
                               const at::Tensor& eps, int64_t channel_dim = 1);
at::Tensor backward_grad2_eps_tensor(const at::Tensor& grad, const at::Tensor& x, Variant variant, int N,
                                     const at::Tensor& eps, int64_t channel_dim = 1);
/// Both first-order gradients of forward_eps_tensor in one pass: (grad_out f'(x), the sum over
/// each channel of grad_out df/deps, shaped like eps). Not differentiable itself.
std::tuple<at::Tensor, at::Tensor> eps_tensor_grads(const at::Tensor& grad_out, const at::Tensor& x, Variant variant,
                                                    int N, const at::Tensor& eps, int64_t channel_dim = 1);

/// Elementwise eps-derivatives of f (include/gem/act/gem_eps_grad.h): which is
/// Quantity::df_deps, d2f_dx_deps or d2f_deps2.
at::Tensor eps_partial(const at::Tensor& x, Variant variant, int N, const at::Tensor& eps, Quantity which,
                       int64_t channel_dim = 1);

at::Tensor activation(const at::Tensor& x, const std::string& spec);

/// f(a) * b with x = [a | b] along the last dimension (even); the result has x's shape with the
/// last dimension halved. Differentiable to second order.
at::Tensor glu(const at::Tensor& x, const std::string& spec);
at::Tensor glu(const at::Tensor& x, const Params& p);

}  // namespace gem::torch_ext
