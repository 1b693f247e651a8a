// Fused bias + activation: y = f(x + bias), bias broadcast over the last dimension of x.
//
//   gem::bias_forward(x, bias, variant, N, eps)            -> y
//   gem::bias_backward(grad_out, x, bias, variant, N, eps) -> (grad_x, grad_bias)
//       grad_x = grad_out * f'(x + bias),  grad_bias = grad_x summed over every dimension but the last
//
// On CUDA one kernel pass replaces the pair (src/cuda/bias.cuh); on the CPU it is the composition
// it stands for (cpu_ops.cpp). Both are device ops (device_ops.h). Here: the schemas (a fragment
// of the gem library) and autograd. Backward without a graph calls gem::bias_backward; with
// create_graph it composes differentiable ops (x + bias, gem::backward, sum), so second order
// works wherever gem::backward has it.
#include <ATen/TensorOperators.h>
#include <ATen/core/Tensor.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/grad_mode.h>
#include <torch/autograd.h>
#include <torch/library.h>

#include <string>
#include <tuple>
#include <vector>

#include "gem/torch/functional.h"
#include "src/torch/bias_args.h"
#include "src/torch/op_args.h"

namespace gem::torch_ext {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

using BiasForwardFn = at::Tensor(const at::Tensor&, const at::Tensor&, c10::string_view, int64_t, double);
using BiasBackwardFn = std::tuple<at::Tensor, at::Tensor>(const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                                          c10::string_view, int64_t, double);

const c10::TypedOperatorHandle<BiasForwardFn>& bias_forward_op() {
  static const auto op = c10::Dispatcher::singleton().findSchemaOrThrow("gem::bias_forward", "").typed<BiasForwardFn>();
  return op;
}
const c10::TypedOperatorHandle<BiasBackwardFn>& bias_backward_op() {
  static const auto op =
      c10::Dispatcher::singleton().findSchemaOrThrow("gem::bias_backward", "").typed<BiasBackwardFn>();
  return op;
}

// ---- Autograd -------------------------------------------------------------------------------

struct BiasForward : public torch::autograd::Function<BiasForward> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& bias,
                            c10::string_view variant, int64_t N, double eps) {
    params_from("gem::bias_forward", variant, N, eps);  // fail before saving anything
    ctx->saved_data["variant"] = std::string(variant.data(), variant.size());
    ctx->saved_data["N"] = N;
    ctx->saved_data["eps"] = eps;
    ctx->save_for_backward({x, bias});  // f' needs x + bias; y does not determine it
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    return bias_forward_op().call(x, bias, variant, N, eps);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &bias = saved[1], &g = grads[0];
    const std::string variant = ctx->saved_data["variant"].toStringRef();
    const int64_t N = ctx->saved_data["N"].toInt();
    const double eps = ctx->saved_data["eps"].toDouble();
    at::Tensor grad_x, grad_bias;
    if (at::GradMode::is_enabled()) {  // create_graph: differentiable pieces, for second order
      const Params p = params_from("gem::bias_forward", variant, N, eps);
      grad_x = torch_ext::backward(g, x + bias, p);
      grad_bias = column_sums(grad_x, bias);
    } else {
      std::tie(grad_x, grad_bias) = bias_backward_op().call(g, x, bias, variant, N, eps);
    }
    return {ctx->needs_input_grad(0) ? grad_x : at::Tensor(), ctx->needs_input_grad(1) ? grad_bias : at::Tensor(),
            at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

at::Tensor bias_forward_autograd(const at::Tensor& x, const at::Tensor& bias, c10::string_view variant, int64_t N,
                                 double eps) {
  return BiasForward::apply(x, bias, variant, N, eps);
}

// bias_backward is what BiasForward's node calls: not differentiable, run below autograd so that
// its outputs never require grad (what PyTorch asks of a non-differentiable op).
std::tuple<at::Tensor, at::Tensor> bias_backward_autograd(const at::Tensor& grad_out, const at::Tensor& x,
                                                          const at::Tensor& bias, c10::string_view variant, int64_t N,
                                                          double eps) {
  at::AutoDispatchBelowADInplaceOrView below_autograd;
  return bias_backward_op().call(grad_out, x, bias, variant, N, eps);
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(gem, m) {
  m.def("bias_forward(Tensor x, Tensor bias, str variant, int N, float eps) -> Tensor");
  m.def("bias_backward(Tensor grad_out, Tensor x, Tensor bias, str variant, int N, float eps) -> (Tensor, Tensor)");
}

TORCH_LIBRARY_IMPL(gem, Autograd, m) {
  m.impl("bias_forward", &bias_forward_autograd);
  m.impl("bias_backward", &bias_backward_autograd);
}

}  // namespace gem::torch_ext
