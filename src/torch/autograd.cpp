// Autograd kernels of the gem operators, one torch::autograd::Function per differentiable op.
// Every node computes its gradients by calling gem operators through the dispatcher, so every
// device that has the device ops has gradients, and the gradient ops have nodes of their own:
//
//   y  = forward(x)                 dx  = backward(g, x)                = g f'(x)
//   gi = backward(go, x)            dgo = backward(g, x)                = g f'(x)
//                                   dx  = backward_grad2(g go, x)       = g go f''(x)
//   o  = backward_grad2(gr, x)      dgr = backward_grad2(g, x),         dx = g gr derivative(x, 3)
//   d  = derivative(x, k)           dx  = g derivative(x, k + 1)        (any depth)
//
// With eps a tensor (learnable; one value or one per channel), f = f(x; eps) and, writing
// f_e = df/deps etc. (eps_partial) and S for the sum over each channel's elements:
//   y  = forward_eps_tensor(x, eps)        dx = backward_eps_tensor(g, x, eps),  deps = S(g f_e)
//                                          (both from eps_tensor_grads in one pass, without a graph)
//   gi = backward_eps_tensor(go, x, eps)   dgo = backward_eps_tensor(g, x, eps),
//                                          dx = backward_grad2_eps_tensor(g go, x, eps), deps = S(g go f'_e)
//   o  = backward_grad2_eps_tensor(gr, x)  dgr = backward_grad2_eps_tensor(g, x, eps) (dx, deps: refused)
//   p  = eps_partial(x, eps, 0) = f_e      dx = g f'_e,  deps = S(g f_ee)
// which is everything first and second order need; with a learnable eps a third order is refused
// with a message (derivatives of f in eps beyond the second are not implemented).
// The nodes save x (and grad_out, eps), never the output: f' and f'' need x, and y does not
// determine x (E-GEM is 0 on the whole negative axis).
#include <ATen/core/Tensor.h>
#include <ATen/core/grad_mode.h>
#include <ATen/core/LegacyTypeDispatch.h>
#include <ATen/TensorOperators.h>
#include <torch/autograd.h>
#include <torch/library.h>

#include <string>
#include <tuple>
#include <vector>

#include "gem/torch/functional.h"
#include "src/torch/op_args.h"

namespace gem::torch_ext {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
// needs_input_grad(i) counts the tensor arguments of forward only: (x, eps) -> 0, 1.

void save_params(AutogradContext* ctx, c10::string_view variant, int64_t N) {
  ctx->saved_data["variant"] = std::string(variant.data(), variant.size());
  ctx->saved_data["N"] = N;
}
Variant saved_variant(AutogradContext* ctx) {
  const std::string v = ctx->saved_data["variant"].toStringRef();
  return variant_from("gem", v);
}
int saved_order(AutogradContext* ctx) { return static_cast<int>(ctx->saved_data["N"].toInt()); }
Params saved_params(AutogradContext* ctx) {
  return Params{saved_variant(ctx), saved_order(ctx), ctx->saved_data["eps"].toDouble()};
}

/// What a fixed-eps op's forward keeps for its backward: the validated parameters and `inputs`.
Params save_fixed_params(AutogradContext* ctx, const char* op, c10::string_view variant, int64_t N, double eps,
                         const at::TensorList inputs) {
  const Params p = params_from(op, variant, N, eps);
  save_params(ctx, variant, N);
  ctx->saved_data["eps"] = eps;
  ctx->save_for_backward(inputs.vec());
  return p;
}

/// The gradient of eps from per-element terms a * b: their sum over each channel (over
/// everything for one eps), in at least float, shaped and typed like eps.
at::Tensor reduce_to_eps(const at::Tensor& a, const at::Tensor& b, const at::Tensor& eps, int64_t channel_dim) {
  const bool narrow_type = a.scalar_type() == at::kHalf || a.scalar_type() == at::kBFloat16;
  const at::Tensor product = narrow_type ? a.to(at::kFloat) * b.to(at::kFloat) : a * b;
  if (eps.sym_numel() == 1) return product.sum().reshape_as(eps).to(eps.scalar_type());
  const int64_t dim = channel_dimension(product, channel_dim);
  std::vector<int64_t> others;
  for (int64_t d = 0; d < product.dim(); ++d)
    if (d != dim) others.push_back(d);
  return product.sum(others).reshape_as(eps).to(eps.scalar_type());
}

void save_channel_dim(AutogradContext* ctx, int64_t channel_dim) { ctx->saved_data["channel_dim"] = channel_dim; }
int64_t saved_channel_dim(AutogradContext* ctx) { return ctx->saved_data["channel_dim"].toInt(); }

[[noreturn]] void refuse_third_order(const char* op, const char* wrt) {
  C10_THROW_ERROR(NotImplementedError,
                  c10::str(op, ": the derivative with respect to ", wrt,
                           " would be a third-order derivative of an activation with a learnable eps, which gem does "
                           "not implement (a fixed eps has derivatives of any order: gem::derivative)"));
}

// ---- Fixed (variant, N, eps) --------------------------------------------------------------------

struct GemForward : public torch::autograd::Function<GemForward> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, c10::string_view variant, int64_t N,
                            double eps) {
    const Params p = save_fixed_params(ctx, "gem::forward", variant, N, eps, {x});
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    return torch_ext::forward(x, p);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor x = ctx->get_saved_variables()[0];
    return {torch_ext::backward(grads[0], x, saved_params(ctx)), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

struct GemBackward : public torch::autograd::Function<GemBackward> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& grad_out, const at::Tensor& x,
                            c10::string_view variant, int64_t N, double eps) {
    const Params p = save_fixed_params(ctx, "gem::backward", variant, N, eps, {grad_out, x});
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    return torch_ext::backward(grad_out, x, p);
  }
  // d(go f'(x))/dgo = f'(x); d(go f'(x))/dx = go f''(x).
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &grad_out = saved[0], &x = saved[1], &g = grads[0];
    const Params p = saved_params(ctx);
    at::Tensor d_grad_out, d_x;
    if (ctx->needs_input_grad(0)) d_grad_out = torch_ext::backward(g, x, p);
    if (ctx->needs_input_grad(1)) d_x = torch_ext::backward_grad2(g * grad_out, x, p);
    return {d_grad_out, d_x, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

struct GemBackwardGrad2 : public torch::autograd::Function<GemBackwardGrad2> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& grad, const at::Tensor& x,
                            c10::string_view variant, int64_t N, double eps) {
    const Params p = save_fixed_params(ctx, "gem::backward_grad2", variant, N, eps, {grad, x});
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    return torch_ext::backward_grad2(grad, x, p);
  }
  // d(gr f''(x))/dgr = f''(x); d(gr f''(x))/dx = gr f'''(x), and beyond through gem::derivative.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &grad = saved[0], &x = saved[1];
    const Params p = saved_params(ctx);
    at::Tensor d_grad, d_x;
    if (ctx->needs_input_grad(0)) d_grad = torch_ext::backward_grad2(grads[0], x, p);
    if (ctx->needs_input_grad(1)) d_x = grads[0] * grad * torch_ext::derivative(x, p, 3);
    return {d_grad, d_x, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

struct GemDerivative : public torch::autograd::Function<GemDerivative> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, c10::string_view variant, int64_t N, double eps,
                            int64_t k) {
    const Params p = save_fixed_params(ctx, "gem::derivative", variant, N, eps, {x});
    const int order = derivative_order_from("gem::derivative", k);
    ctx->saved_data["k"] = k;
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    return torch_ext::derivative(x, p, order);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor x = ctx->get_saved_variables()[0];
    const int64_t k = ctx->saved_data["k"].toInt();
    if (k + 1 > kMaxDerivativeOrder)
      C10_THROW_ERROR(NotImplementedError,
                      c10::str("gem::derivative: the gradient of order ", k, " is order ", k + 1,
                               ", beyond the highest order gem computes (", kMaxDerivativeOrder, ")"));
    const at::Tensor d_x = grads[0] * torch_ext::derivative(x, saved_params(ctx), k + 1);
    return {d_x, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// ---- eps as a tensor ----------------------------------------------------------------------------

struct GemEpsPartial : public torch::autograd::Function<GemEpsPartial> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, c10::string_view variant, int64_t N,
                            const at::Tensor& eps, int64_t which, int64_t channel_dim) {
    save_params(ctx, variant, N);
    save_channel_dim(ctx, channel_dim);
    ctx->saved_data["which"] = which;
    ctx->save_for_backward({x, eps});
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    return torch_ext::eps_partial(x, variant_from("gem::eps_partial", variant), static_cast<int>(N), eps,
                                  eps_partial_quantity(which), channel_dim);
  }
  // Only df/deps has the derivatives we implement: d/dx = d2f/(dx deps), d/deps = d2f/deps2.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const bool needs_x = ctx->needs_input_grad(0), needs_eps = ctx->needs_input_grad(1);
    if (ctx->saved_data["which"].toInt() != eps_partial_index(Quantity::df_deps) && (needs_x || needs_eps))
      refuse_third_order("gem::eps_partial", needs_x ? "x" : "eps");
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &eps = saved[1], &g = grads[0];
    const Variant v = saved_variant(ctx);
    const int N = saved_order(ctx);
    const int64_t cd = saved_channel_dim(ctx);
    at::Tensor d_x, d_eps;
    if (needs_x) d_x = g * torch_ext::eps_partial(x, v, N, eps, Quantity::d2f_dx_deps, cd);
    if (needs_eps) d_eps = reduce_to_eps(g, torch_ext::eps_partial(x, v, N, eps, Quantity::d2f_deps2, cd), eps, cd);
    return {d_x, at::Tensor(), at::Tensor(), d_eps, at::Tensor(), at::Tensor()};
  }
};

struct GemForwardEpsTensor : public torch::autograd::Function<GemForwardEpsTensor> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, c10::string_view variant, int64_t N,
                            const at::Tensor& eps, int64_t channel_dim) {
    save_params(ctx, variant, N);
    save_channel_dim(ctx, channel_dim);
    ctx->save_for_backward({x, eps});
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    return torch_ext::forward_eps_tensor(x, variant_from("gem::forward_eps_tensor", variant), static_cast<int>(N), eps,
                                         channel_dim);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &eps = saved[1], &g = grads[0];
    const Variant v = saved_variant(ctx);
    const int N = saved_order(ctx);
    const int64_t cd = saved_channel_dim(ctx);
    const bool needs_x = ctx->needs_input_grad(0), needs_eps = ctx->needs_input_grad(1);
    at::Tensor d_x, d_eps;
    if (needs_eps && !at::GradMode::is_enabled()) {
      // The training step: both gradients in one pass over x and g.
      std::tie(d_x, d_eps) = torch_ext::eps_tensor_grads(g, x, v, N, eps, cd);
      if (!needs_x) d_x = at::Tensor();
    } else {  // create_graph: pieces that have gradients of their own, for second order
      if (needs_x) d_x = torch_ext::backward_eps_tensor(g, x, v, N, eps, cd);
      if (needs_eps) d_eps = reduce_to_eps(g, torch_ext::eps_partial(x, v, N, eps, Quantity::df_deps, cd), eps, cd);
    }
    return {d_x, at::Tensor(), at::Tensor(), d_eps, at::Tensor()};
  }
};

struct GemBackwardEpsTensor : public torch::autograd::Function<GemBackwardEpsTensor> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& grad_out, const at::Tensor& x,
                            c10::string_view variant, int64_t N, const at::Tensor& eps, int64_t channel_dim) {
    save_params(ctx, variant, N);
    save_channel_dim(ctx, channel_dim);
    ctx->save_for_backward({grad_out, x, eps});
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    return torch_ext::backward_eps_tensor(grad_out, x, variant_from("gem::backward_eps_tensor", variant),
                                          static_cast<int>(N), eps, channel_dim);
  }
  // d(go f'(x; eps))/dgo = f', /dx = go f'', /deps = go df'/deps.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &grad_out = saved[0], &x = saved[1], &eps = saved[2], &g = grads[0];
    const Variant v = saved_variant(ctx);
    const int N = saved_order(ctx);
    const int64_t cd = saved_channel_dim(ctx);
    at::Tensor d_grad_out, d_x, d_eps;
    if (ctx->needs_input_grad(0)) d_grad_out = torch_ext::backward_eps_tensor(g, x, v, N, eps, cd);
    if (ctx->needs_input_grad(1)) d_x = torch_ext::backward_grad2_eps_tensor(g * grad_out, x, v, N, eps, cd);
    if (ctx->needs_input_grad(2))
      d_eps = reduce_to_eps(g * grad_out, torch_ext::eps_partial(x, v, N, eps, Quantity::d2f_dx_deps, cd), eps, cd);
    return {d_grad_out, d_x, at::Tensor(), at::Tensor(), d_eps, at::Tensor()};
  }
};

struct GemBackwardGrad2EpsTensor : public torch::autograd::Function<GemBackwardGrad2EpsTensor> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& grad, const at::Tensor& x, c10::string_view variant,
                            int64_t N, const at::Tensor& eps, int64_t channel_dim) {
    save_params(ctx, variant, N);
    save_channel_dim(ctx, channel_dim);
    ctx->save_for_backward({x, eps});
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    return torch_ext::backward_grad2_eps_tensor(grad, x, variant_from("gem::backward_grad2_eps_tensor", variant),
                                                static_cast<int>(N), eps, channel_dim);
  }
  // Linear in grad; the x- and eps-derivatives would be third-order derivatives of f.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    if (ctx->needs_input_grad(1)) refuse_third_order("gem::backward_grad2_eps_tensor", "x");
    if (ctx->needs_input_grad(2)) refuse_third_order("gem::backward_grad2_eps_tensor", "eps");
    const auto saved = ctx->get_saved_variables();
    at::Tensor d_grad;
    if (ctx->needs_input_grad(0))
      d_grad = torch_ext::backward_grad2_eps_tensor(grads[0], saved[0], saved_variant(ctx), saved_order(ctx), saved[1],
                                                    saved_channel_dim(ctx));
    return {d_grad, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// ---- Autograd kernels ---------------------------------------------------------------------------

at::Tensor forward_autograd(const at::Tensor& x, c10::string_view variant, int64_t N, double eps) {
  return GemForward::apply(x, variant, N, eps);
}
at::Tensor backward_autograd(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view variant, int64_t N,
                             double eps) {
  return GemBackward::apply(grad_out, x, variant, N, eps);
}
at::Tensor backward_grad2_autograd(const at::Tensor& grad, const at::Tensor& x, c10::string_view variant, int64_t N,
                                   double eps) {
  return GemBackwardGrad2::apply(grad, x, variant, N, eps);
}
at::Tensor derivative_autograd(const at::Tensor& x, c10::string_view variant, int64_t N, double eps, int64_t k) {
  return GemDerivative::apply(x, variant, N, eps, k);
}
at::Tensor forward_eps_tensor_autograd(const at::Tensor& x, c10::string_view variant, int64_t N, const at::Tensor& eps,
                                       int64_t channel_dim) {
  return GemForwardEpsTensor::apply(x, variant, N, eps, channel_dim);
}
at::Tensor backward_eps_tensor_autograd(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view variant,
                                        int64_t N, const at::Tensor& eps, int64_t channel_dim) {
  return GemBackwardEpsTensor::apply(grad_out, x, variant, N, eps, channel_dim);
}
at::Tensor backward_grad2_eps_tensor_autograd(const at::Tensor& grad, const at::Tensor& x, c10::string_view variant,
                                              int64_t N, const at::Tensor& eps, int64_t channel_dim) {
  return GemBackwardGrad2EpsTensor::apply(grad, x, variant, N, eps, channel_dim);
}
at::Tensor eps_partial_autograd(const at::Tensor& x, c10::string_view variant, int64_t N, const at::Tensor& eps,
                                int64_t which, int64_t channel_dim) {
  return GemEpsPartial::apply(x, variant, N, eps, which, channel_dim);
}

// eps_tensor_grads is what the nodes call to compute gradients, not an op of a model: it is not
// differentiable and, as PyTorch asks of such an op, runs below autograd, so its outputs never
// require grad (a backward through them is torch's "does not require grad" error). For second
// order, forward_eps_tensor's node composes backward_eps_tensor and eps_partial instead.
std::tuple<at::Tensor, at::Tensor> eps_tensor_grads_autograd(const at::Tensor& grad_out, const at::Tensor& x,
                                                             c10::string_view variant, int64_t N, const at::Tensor& eps,
                                                             int64_t channel_dim) {
  at::AutoDispatchBelowADInplaceOrView below_autograd;
  return torch_ext::eps_tensor_grads(grad_out, x, variant_from("gem::eps_tensor_grads", variant), static_cast<int>(N),
                                     eps, channel_dim);
}

// out= ops are not differentiable (as torch's own out= functions): refuse when a gradient is
// wanted instead of silently returning a result without history.
void refuse_grad_for_out(const char* op, const char* instead, std::initializer_list<at::Tensor> tensors) {
  if (!at::GradMode::is_enabled()) return;
  for (const at::Tensor& t : tensors)
    TORCH_CHECK(!(t.defined() && t.requires_grad()), op,
                ": functions with out= arguments do not support automatic differentiation, but an argument "
                "requires grad; use ", instead);
}

at::Tensor& forward_out_autograd(const at::Tensor& x, c10::string_view variant, int64_t N, double eps,
                                 at::Tensor& out) {
  refuse_grad_for_out("gem::forward_out", "gem::forward", {x, out});
  const Params p = params_from("gem::forward_out", variant, N, eps);
  {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    torch_ext::forward_out(out, x, p);
  }
  torch::autograd::impl::bump_version(out);
  return out;
}

at::Tensor& backward_out_autograd(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view variant,
                                  int64_t N, double eps, at::Tensor& grad_in) {
  refuse_grad_for_out("gem::backward_out", "gem::backward", {grad_out, x, grad_in});
  const Params p = params_from("gem::backward_out", variant, N, eps);
  {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    torch_ext::backward_out(grad_in, grad_out, x, p);
  }
  torch::autograd::impl::bump_version(grad_in);
  return grad_in;
}

}  // namespace

TORCH_LIBRARY_IMPL(gem, Autograd, m) {
  m.impl("forward", &forward_autograd);
  m.impl("forward_out", &forward_out_autograd);
  m.impl("backward", &backward_autograd);
  m.impl("backward_out", &backward_out_autograd);
  m.impl("backward_grad2", &backward_grad2_autograd);
  m.impl("forward_eps_tensor", &forward_eps_tensor_autograd);
  m.impl("backward_eps_tensor", &backward_eps_tensor_autograd);
  m.impl("backward_grad2_eps_tensor", &backward_grad2_eps_tensor_autograd);
  m.impl("eps_tensor_grads", &eps_tensor_grads_autograd);
  m.impl("eps_partial", &eps_partial_autograd);
  m.impl("derivative", &derivative_autograd);
}

}  // namespace gem::torch_ext
