// The k-th derivative f^(k)(x) of GEM, E-GEM and SE-GEM, for any order k >= 0 (up to
// kMaxDerivativeOrder), from the formulas of gem.h and nothing else:
//
//   k = 0, 1, 2   gem_derivs (spec 3.2's closed forms, the bits of forward/backward/backward_grad2)
//   k >= 3        gem_value on a ScaledJet (scaled_jet.h): the Taylor coefficients of the same
//                 stable formulas, in binary64, with the step 2^ilogb(max(|x|, S)), the scale on
//                 which f changes (S = eps^(1/2N) near 0, |x| beyond), so the coefficients
//                 stay comparable to one another and none overflows or underflows early.
//
// At x = 0 the value is the one-sided limit from the side the formulas' branches take: E-GEM
// from the left (0 for every k >= 1; the right limit of order 2N+1 is (2N+1)!/eps, spec 2.3) and
// SE-GEM from the right (1 for k = 1, 0 beyond). NaN gives NaN; at +-inf every k >= 2 gives 0.
//
//   Accuracy (binary64; python/tests/test_derivative.py against exact rational derivatives):
//   see that test's bound, measured over N = 1..8, k <= 2N+2 and |x| from 1e-30 to 1e30.
#pragma once

#include <cmath>

#include "gem/act/gem.h"
#include "gem/act/gem_constants.h"
#include "gem/config.h"
#include "gem/params.h"
#include "gem/scaled_jet.h"

namespace gem {

namespace detail {

/// On the open side (E-GEM x > 0, SE-GEM x < 0), as gem_value evaluates it there.
template <int K>
GEM_HOST_DEVICE double derivative_by_jet(Variant v, int k, double x, const GemConstants<double>& c, int step_exp) {
  using J = ScaledJet<double, K>;
  const J xj = J::variable(x, step_exp);
  const J y = v == Variant::segem ? segem_value_negative(-xj, c) : egem_value_positive(xj, c);
  return y.derivative(k, step_exp);
}

}  // namespace detail

/// f^(k)(x) for the variant, 0 <= k <= kMaxDerivativeOrder (params.h; validated by the callers).
GEM_HOST_DEVICE inline double gem_derivative(Variant v, int k, double x, const GemConstants<double>& c) {
  using std::fabs;
  using std::ilogb;
  using std::isinf;
  if (k <= 2) {
    const Derivs<double> d = gem_derivs(v, x, c);
    return k == 0 ? d.f : (k == 1 ? d.df : d.d2f);
  }
  if (x != x) return x;
  if (isinf(x)) return 0.0;
  // The side from x itself: a tiny x scaled into the jet may underflow to 0 and read as the
  // closed side. E-GEM is 0 for x <= 0, SE-GEM the identity for x >= 0 (0 from order 2 on).
  if (v == Variant::segem ? x >= 0.0 : x <= 0.0) return 0.0;
  const int scale_exp = -ilogb(c.inv_s);  // S = 2^scale_exp
  const int step_exp = x == 0.0 ? scale_exp : (ilogb(x) > scale_exp ? ilogb(x) : scale_exp);
  if (k <= 4) return detail::derivative_by_jet<4>(v, k, x, c, step_exp);
  if (k <= 8) return detail::derivative_by_jet<8>(v, k, x, c, step_exp);
  if (k <= 18) return detail::derivative_by_jet<18>(v, k, x, c, step_exp);
  return detail::derivative_by_jet<kMaxDerivativeOrder>(v, k, x, c, step_exp);
}

}  // namespace gem
