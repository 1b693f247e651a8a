// The ops that take an activation spec string (include/gem/spec.h): parse once, then call the
// device ops (GEM family) or torch's own activations (relu, gelu, silu, mish, elu, leaky_relu).
// Registered as CompositeImplicitAutograd: their gradients come from the ops they call.
#include <ATen/core/Tensor.h>
#include <ATen/ops/elu.h>
#include <ATen/ops/gelu.h>
#include <ATen/ops/leaky_relu.h>
#include <ATen/ops/mish.h>
#include <ATen/ops/relu.h>
#include <ATen/ops/silu.h>
#include <torch/library.h>

#include <stdexcept>
#include <string>
#include <tuple>

#include "gem/spec.h"
#include "gem/torch/functional.h"
#include "src/torch/op_args.h"

namespace gem::torch_ext {
namespace {

Params gem_params_from_spec(const char* op, c10::string_view text) {
  const ActivationSpec s = spec_from(op, text);
  TORCH_CHECK_VALUE(s.is_gem_family(), op, ": '", s.to_string(),
                    "' is not a GEM-family activation (gem, egem, segem); gem::activation runs any spec");
  return s.gem;
}

at::Tensor forward_spec(const at::Tensor& x, c10::string_view spec) {
  return torch_ext::forward(x, gem_params_from_spec("gem::forward", spec));
}

at::Tensor backward_spec(const at::Tensor& grad_out, const at::Tensor& x, c10::string_view spec) {
  return torch_ext::backward(grad_out, x, gem_params_from_spec("gem::backward", spec));
}

at::Tensor derivative_spec(const at::Tensor& x, c10::string_view spec, int64_t k) {
  return torch_ext::derivative(x, gem_params_from_spec("gem::derivative", spec), k);
}

at::Tensor activation_spec(const at::Tensor& x, c10::string_view spec) {
  const ActivationSpec s = spec_from("gem::activation", spec);
  switch (s.kind) {
    case Kind::relu: return at::relu(x);
    case Kind::gelu: return at::gelu(x);
    case Kind::silu: return at::silu(x);
    case Kind::mish: return at::mish(x);
    case Kind::elu: return at::elu(x, s.alpha);
    case Kind::leaky_relu: return at::leaky_relu(x, s.alpha);
    case Kind::gem:
    case Kind::egem:
    case Kind::segem: return torch_ext::forward(x, s.gem);
  }
  C10_THROW_ERROR(ValueError, c10::str("gem::activation: unhandled activation '", s.to_string(), "'"));
}

// spec_fields(spec) -> (kind, N, eps): a spec parsed once, here, for the Python modules that
// build a GEM, EGEM or SEGEM from it (N and eps are 0 for the other kinds).
std::tuple<std::string, int64_t, double> spec_fields(c10::string_view spec) {
  const ActivationSpec s = spec_from("gem::spec_fields", spec);
  if (!s.is_gem_family()) return {kind_name(s.kind), 0, 0.0};
  return {kind_name(s.kind), s.gem.N, s.gem.eps};
}

}  // namespace

// No tensor argument, so no dispatch key: one kernel for every caller.
TORCH_LIBRARY_FRAGMENT(gem, m) { m.def("spec_fields(str spec) -> (str, int, float)", &spec_fields); }

TORCH_LIBRARY_IMPL(gem, CompositeImplicitAutograd, m) {
  m.impl("forward.spec", &forward_spec);
  m.impl("backward.spec", &backward_spec);
  m.impl("activation", &activation_spec);
  m.impl("derivative.spec", &derivative_spec);
}

}  // namespace gem::torch_ext
