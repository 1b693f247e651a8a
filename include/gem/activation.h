// Value, first and second derivative of any activation spec ("gelu", "egem:N=2,eps=1e-4", ...)
// at one point, in binary64. For tools (`gem plot`, tables) and tests; kernels call the
// per-activation headers directly.
#pragma once

#include "gem/act/elu.h"
#include "gem/act/gelu.h"
#include "gem/act/gem.h"
#include "gem/act/gem_constants.h"
#include "gem/act/leaky_relu.h"
#include "gem/act/mish.h"
#include "gem/act/relu.h"
#include "gem/act/silu.h"
#include "gem/spec.h"

namespace gem {

/// f(x), f'(x), f''(x) of the activation s. Every x is valid (special values as in each
/// header's contract; GEM family: spec 3.3). Throws std::invalid_argument if s holds GEM
/// parameters that do not validate (a spec from ActivationSpec::parse always does).
inline Derivs<double> evaluate(const ActivationSpec& s, double x) {
  switch (s.kind) {
    case Kind::relu: return {relu(x), relu_grad(x), relu_grad2(x)};
    case Kind::gelu: return {gelu(x), gelu_grad(x), gelu_grad2(x)};
    case Kind::silu: return {silu(x), silu_grad(x), silu_grad2(x)};
    case Kind::mish: return {mish(x), mish_grad(x), mish_grad2(x)};
    case Kind::elu: return {elu(x, s.alpha), elu_grad(x, s.alpha), elu_grad2(x, s.alpha)};
    case Kind::leaky_relu:
      return {leaky_relu(x, s.alpha), leaky_relu_grad(x, s.alpha), leaky_relu_grad2(x, s.alpha)};
    case Kind::gem:
    case Kind::egem:
    case Kind::segem:
      validate(s.gem);
      return gem_derivs(s.gem.variant, x, make_constants<double>(s.gem));
  }
  throw std::invalid_argument("gem::evaluate: unknown activation kind");
}

}  // namespace gem
