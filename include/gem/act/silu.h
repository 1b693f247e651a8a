// SiLU (swish-1): x times the logistic sigmoid.
#pragma once

#include <cmath>

#include "gem/config.h"

namespace gem {

/// Below this x, exp(x) leaves the normal range of binary32 (at -87.3; binary64 at -708.4)
/// while x exp(x) may not, so the tails use h = exp(x/2) and multiply by h twice, last.
constexpr double kExpNormalFloor = -80.0;

/// SiLU: f(x) = x s(x) = x / (1 + exp(-x)), s the logistic sigmoid.
///   Types:  W = double, float (long double on the host); 16-bit storage through opmath_t.
///   Bound:  4 ulp (f), 5 (f'), 6 (f'') in binary64 and binary32, in ulps of max(|y*|, M), M the
///           sum of the terms' sizes (e (d + |x|)/d^2 for f', e (2d + |x|(1-e))/d^3 for f''),
///           with glibc's libm (measured worst 2.7, 3.7, 5.2: tests/core/baselines_test.cpp);
///           5, 5, 6 on CUDA 13 (H100: worst 4.3, 4.2, 4.3).
///   Range:  all x; exp is only taken of non-positive arguments, so nothing overflows.
///           f(-inf) = -0 (x s(x) would be -inf * 0), f(+inf) = +inf, f(-0) = -0, NaN stays NaN.
///   Grad:   with e = exp(-|x|), d = 1 + e:
///           f'(x)  = (d + x e)/d^2 (x >= 0),   e (d + x)/d^2 (x < 0; zero at x = -1.2785);
///           f''(x) = e (2 d - |x| (1 - e))/d^3, an even function (zeros at +-2.3994).
///           f'(-inf) = 0, f'(+inf) = 1, f''(+-inf) = 0.
template <class W>
GEM_HOST_DEVICE GEM_INLINE W silu(W x) {
  if (x >= W(0)) return x / (W(1) + std::exp(-x));  // +inf / 1 = +inf; -0 / 2 = -0
  if (x >= W(kExpNormalFloor)) {
    const W e = std::exp(x);
    return (x * e) / (W(1) + e);
  }
  if (x == W(-HUGE_VAL)) return W(-0.0);
  const W h = std::exp(W(0.5) * x);  // NaN flows through here
  return ((x * h) * h) / (W(1) + h * h);
}

template <class W>
GEM_HOST_DEVICE GEM_INLINE W silu_grad(W x) {
  if (x >= W(0)) {
    if (x == W(HUGE_VAL)) return W(1);  // x e would be inf * 0
    const W e = std::exp(-x), d = W(1) + e;
    return (d + x * e) / (d * d);
  }
  if (x >= W(kExpNormalFloor)) {
    const W e = std::exp(x), d = W(1) + e;
    return (e * (d + x)) / (d * d);
  }
  if (x == W(-HUGE_VAL)) return W(0);
  const W h = std::exp(W(0.5) * x), d = W(1) + h * h;
  return ((h * (d + x)) * h) / (d * d);
}

template <class W>
GEM_HOST_DEVICE GEM_INLINE W silu_grad2(W x) {
  const W a = std::fabs(x);
  if (a == W(HUGE_VAL)) return W(0);  // the bracket would be -inf times e = 0
  if (a <= -W(kExpNormalFloor)) {
    const W e = std::exp(-a), d = W(1) + e;
    return (e * (W(2) * d - a * (W(1) - e))) / (d * (d * d));
  }
  const W h = std::exp(W(-0.5) * a), d = W(1) + h * h;  // NaN flows through here
  return ((h * (W(2) * d - a * (W(1) - h * h))) * h) / (d * (d * d));
}

}  // namespace gem
