// Derivatives of E-GEM and SE-GEM with respect to eps (for a learnable eps): df/deps,
// d2f/(dx deps) = d(f')/deps and d2f/deps2, at one point.
//
//   E (x > 0), with r = x^m/eps (m = 2N), q = 1/r:
//     dE/deps        = -E/(eps + x^m)            = -x r/(eps (1+r)^2)        = -x^(1-m)/(1+q)^2
//     d2E/(dx deps)  = -x E''/(m eps)            = ((m-1) r - (m+1)) r/(eps (1+r)^3)
//                                                = ((m-1) - (m+1) q) x^(-m)/(1+q)^3
//     d2E/deps2      = 2 E/(eps + x^m)^2         = 2 x r/(eps^2 (1+r)^3)     = 2 x^(1-2m)/(1+q)^3
//   SE (x < 0), by the reflection SE(x) = x + E(-x) of spec 1, at a = -x:
//     dSE/deps = dE/deps(a),  d2SE/(dx deps) = -d2E/(dx deps)(a),  d2SE/deps2 = d2E/deps2(a).
//   Where f does not depend on eps (E at x <= 0, SE at x >= 0) all three are 0. GEM has no eps;
//   Variant::gem is evaluated as E-GEM (its formulas at eps = 1).
//   Derivation: E = x phi(x^m/eps) gives the Euler identity x E' = E - m eps dE/deps; its x- and
//   eps-derivatives give the second and third lines (tests: golden rows, central differences).
//
//   Algorithm (scale invariant): with a = fa 2^ka and eps = fe 2^ke (frexp, fa, fe in [0.5, 1)),
//   every power of a and eps is a product of mantissas, between 2^-(m+1) and 2^(2m), times an
//   integer power of two applied by one ldexp at the end. So nothing overflows or underflows
//   before the result does, for every finite x and every eps in (0, max] of the format (float
//   included: eps outside binary32's normal range needs no binary64 fallback here), and r, q are
//   only used on the side where they are <= 1.
//   Types:  W = double or float (16-bit storage computes in float).
//   Bound:  a few ulps of max(|y*|, M) (tests/core/eps_grad_test.cpp asserts 2N+6 for
//           df/deps and d2f/deps2, 4N+12 for d2f/(dx deps) with M from E'' of spec 3.4: it
//           cancels where E'' does, at the inflection point). Measured worst over the golden
//           rows (N = 1..4), double / float: df/deps 4.0 / 4.4, d2f/(dx deps) 5.0 / 4.4,
//           d2f/deps2 5.0 / 6.2 ulps.
//   Special values: NaN -> NaN; E at +inf -> (-0, +0, +0); SE at -inf -> (-0, -0, +0).
#pragma once

#include <cmath>

#include "gem/config.h"
#include "gem/params.h"
#include "gem/quantity.h"

namespace gem {

/// df/deps, d2f/(dx deps), d2f/deps2 at one point.
template <class W>
struct EpsDerivs {
  W df_deps, d2f_dx_deps, d2f_deps2;
};

/// eps split once as fe 2^ke (fe in [0.5, 1)), with the order.
template <class W>
struct EpsGradConstants {
  W fe;
  int ke;
  int n;
};

/// Constants for order n and eps (both already validated).
template <class W>
EpsGradConstants<W> make_eps_grad_constants(int n, double eps) {
  int ke = 0;
  const double fe = std::frexp(eps, &ke);
  return {static_cast<W>(fe), ke, n};
}

/// One eps-derivative of E-GEM at a > 0 (a may be +inf); `which` is df_deps, d2f_dx_deps or
/// d2f_deps2. Kernels ask for one quantity: each costs one frexp and two ldexp.
template <class W>
GEM_HOST_DEVICE GEM_INLINE W egem_eps_partial_positive(Quantity which, W a, const EpsGradConstants<W>& c) {
  using std::frexp;
  using std::isinf;
  using std::ldexp;
  if (isinf(a)) return which == Quantity::df_deps ? -W(0) : W(0);
  const int m = 2 * c.n;
  const W mm1 = W(m - 1), mp1 = W(m + 1);
  int ka = 0;
  const W fa = frexp(a, &ka);  // a = fa 2^ka, fa in [0.5, 1)
  W fh = fa;                   // fa^N, then pa = fa^m in [2^-m, 1)
  for (int i = 1; i < c.n; ++i) fh *= fa;
  const W pa = fh * fh;
  const W fe = c.fe;
  const int kr = m * ka - c.ke;  // r = (pa/fe) 2^kr
  const W r = ldexp(pa / fe, kr);
  if (r <= W(1)) {  // inner side: powers of a in the numerator
    const W d = W(1) + r, d2 = d * d;
    switch (which) {
      case Quantity::df_deps:  // -a^(m+1)/eps^2 / (1+r)^2
        return -ldexp(((fa * pa) / (fe * fe)) / d2, (m + 1) * ka - 2 * c.ke);
      case Quantity::d2f_dx_deps:  // ((m-1) r - (m+1)) a^m/eps^2 / (1+r)^3
        return ldexp(((mm1 * r - mp1) * (pa / (fe * fe))) / (d2 * d), m * ka - 2 * c.ke);
      default:  // 2 a^(m+1)/eps^3 / (1+r)^3
        return ldexp((W(2) * ((fa * pa) / (fe * fe * fe))) / (d2 * d), (m + 1) * ka - 3 * c.ke);
    }
  }
  const W q = ldexp(fe / pa, -kr);  // outer side: powers of a in the denominator
  const W d = W(1) + q, d2 = d * d;
  switch (which) {
    case Quantity::df_deps:  // -a^(1-m) / (1+q)^2
      return -ldexp((fa / pa) / d2, (1 - m) * ka);
    case Quantity::d2f_dx_deps:  // ((m-1) - (m+1) q) a^-m / (1+q)^3
      return ldexp(((mm1 - mp1 * q) / pa) / (d2 * d), -m * ka);
    default:  // 2 a^(1-2m) / (1+q)^3
      return ldexp((W(2) * ((fa / pa) / pa)) / (d2 * d), (1 - 2 * m) * ka);
  }
}

/// One eps-derivative of the variant at x (any x).
template <class W>
GEM_HOST_DEVICE GEM_INLINE W gem_eps_partial(Variant v, Quantity which, W x, const EpsGradConstants<W>& c) {
  if (x != x) return x;  // NaN
  if (v == Variant::segem) {
    if (x >= W(0)) return W(0);  // identity branch: no eps
    const W e = egem_eps_partial_positive(which, -x, c);
    return which == Quantity::d2f_dx_deps ? -e : e;
  }
  if (x <= W(0)) return W(0);
  return egem_eps_partial_positive(which, x, c);
}

/// All three eps-derivatives of the variant at x.
template <class W>
GEM_HOST_DEVICE GEM_INLINE EpsDerivs<W> gem_eps_derivs(Variant v, W x, const EpsGradConstants<W>& c) {
  return {gem_eps_partial(v, Quantity::df_deps, x, c), gem_eps_partial(v, Quantity::d2f_dx_deps, x, c),
          gem_eps_partial(v, Quantity::d2f_deps2, x, c)};
}

}  // namespace gem
