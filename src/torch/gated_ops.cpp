// The gated (GLU) activation: y = f(a) * b over x = [a | b], the two halves of one projection's
// output along the last dimension (a transformer's gated feed-forward: GEGLU with gelu, SwiGLU
// with silu, and the same for the GEM family).
//
//   gem::glu(x, spec)                              any spec (CompositeImplicitAutograd)
//   gem::glu_forward(x, variant, N, eps)           -> y, one pass (device op)
//   gem::glu_backward(grad_out, x, variant, N, eps) -> grad_x = [(grad_out b) f'(a) | grad_out f(a)]
//
// For the GEM family gem::glu is gem::glu_forward: one kernel pass forward and one backward on
// CPU and CUDA (device_ops.h, gem/cpu/kernels.h, src/cuda/gated.cuh). Other specs compose torch's
// own activation with the product. Backward without a graph calls gem::glu_backward; with
// create_graph it composes differentiable ops (gem::backward, gem::forward, a product), so
// second order works wherever gem::backward has it.
#include <ATen/TensorOperators.h>
#include <ATen/core/Tensor.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/cat.h>
#include <torch/autograd.h>
#include <torch/library.h>

#include <string>
#include <utility>
#include <vector>

#include "gem/spec.h"
#include "gem/torch/functional.h"
#include "src/torch/gated_args.h"
#include "src/torch/op_args.h"

namespace gem::torch_ext {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

using GluBackwardFn = at::Tensor(const at::Tensor&, const at::Tensor&, c10::string_view, int64_t, double);

const c10::TypedOperatorHandle<GluBackwardFn>& glu_backward_op() {
  static const auto op = c10::Dispatcher::singleton().findSchemaOrThrow("gem::glu_backward", "").typed<GluBackwardFn>();
  return op;
}

/// The halves a and b of x (views).
std::pair<at::Tensor, at::Tensor> halves(const at::Tensor& x) {
  std::vector<at::Tensor> parts = x.chunk(2, -1);  // the last dimension is even (check_gated)
  return {std::move(parts[0]), std::move(parts[1])};
}

// ---- Autograd -------------------------------------------------------------------------------

struct GluForward : public torch::autograd::Function<GluForward> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, c10::string_view variant, int64_t N,
                            double eps) {
    const Params p = params_from("gem::glu_forward", variant, N, eps);  // fail before saving anything
    ctx->saved_data["variant"] = std::string(variant.data(), variant.size());
    ctx->saved_data["N"] = N;
    ctx->saved_data["eps"] = eps;
    ctx->save_for_backward({x});
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    return torch_ext::glu(x, p);  // gem::glu_forward
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor x = ctx->get_saved_variables()[0];
    const at::Tensor& g = grads[0];
    const std::string variant = ctx->saved_data["variant"].toStringRef();
    const int64_t N = ctx->saved_data["N"].toInt();
    const double eps = ctx->saved_data["eps"].toDouble();
    at::Tensor grad_x;
    if (at::GradMode::is_enabled()) {  // create_graph: differentiable pieces, for second order
      const Params p = params_from("gem::glu_forward", variant, N, eps);
      const auto [a, b] = halves(x);
      grad_x = at::cat({torch_ext::backward(g * b, a, p), g * torch_ext::forward(a, p)}, -1);
    } else {
      grad_x = glu_backward_op().call(g, x, variant, N, eps);
    }
    return {grad_x, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

at::Tensor glu_forward_autograd(const at::Tensor& x, c10::string_view variant, int64_t N, double eps) {
  return GluForward::apply(x, variant, N, eps);
}

// glu_backward is what GluForward's node calls: not differentiable, run below autograd so that
// its output never requires grad (what PyTorch asks of a non-differentiable op).
at::Tensor glu_backward_autograd(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view variant, int64_t N,
                                 double eps) {
  at::AutoDispatchBelowADInplaceOrView below_autograd;
  return glu_backward_op().call(grad_out, x, variant, N, eps);
}

// ---- Any spec -------------------------------------------------------------------------------

at::Tensor glu_spec(const at::Tensor& x, c10::string_view spec) {
  constexpr const char* op = "gem::glu";
  const ActivationSpec s = spec_from(op, spec);
  check_gated(op, x);
  if (s.is_gem_family()) return torch_ext::glu(x, s.gem);  // gem::glu_forward
  const auto [a, b] = halves(x);
  return torch_ext::activation(a, s.to_string()) * b;
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(gem, m) {
  m.def("glu(Tensor x, str spec) -> Tensor");
  m.def("glu_forward(Tensor x, str variant, int N, float eps) -> Tensor");
  m.def("glu_backward(Tensor grad_out, Tensor x, str variant, int N, float eps) -> Tensor");
}

TORCH_LIBRARY_IMPL(gem, Autograd, m) {
  m.impl("glu_forward", &glu_forward_autograd);
  m.impl("glu_backward", &glu_backward_autograd);
}

TORCH_LIBRARY_IMPL(gem, CompositeImplicitAutograd, m) { m.impl("glu", &glu_spec); }

}  // namespace gem::torch_ext
