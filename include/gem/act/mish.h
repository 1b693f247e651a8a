// Mish: x tanh(softplus(x)).
#pragma once

#include <cmath>

#include "gem/config.h"
#include "gem/act/silu.h"  // kExpNormalFloor

namespace gem {

/// Mish: f(x) = x tanh(ln(1 + exp(x))), evaluated without tanh, log or overflow through
///   tanh(ln(1 + e^x)) = n/(n + 2),  n = e^x (e^x + 2)              (x < 0, e = e^x <= 1)
///                     = (1 + 2u)/D,  D = 1 + 2u + 2u^2, u = e^-x    (x >= 0)
/// exp is only taken of non-positive arguments, so nothing overflows; and the derivatives
/// never form 1 - tanh^2, which cancels for x > 0 (binary32: no digit left at x = 10).
///   Types:  W = double, float (long double on the host); 16-bit storage through opmath_t.
///   Bound:  5 ulp (f), 6 (f'), 8 (f'') in binary64 and binary32, in ulps of max(|y*|, M), M the
///           sum of the terms' sizes (t + |x| w and w (2 + |x| |1 - s - 2ts|), w = (1-t^2) s),
///           with glibc's libm (measured worst 4.1, 4.7, 6.7: tests/core/baselines_test.cpp);
///           the same on CUDA 13 (H100: worst 4.3, 4.4, 7.1).
///   Range:  all x; f(-inf) = -0, f(+inf) = +inf, f(-0) = -0, NaN stays NaN.
///   Grad:   (x < 0, with N2 = n + 2)            (x >= 0)
///           f'  = e ((e+2) N2 + 4x(1+e))/N2^2    ((1+2u) D + 4x u^2 (1+u))/D^2
///           f'' = 4e (2(1+e) N2 + x(N2 - 2en))/N2^3
///                                               4u^2 (2D(1+u) + x(2u^3 + 2u^2 - 3u - 2))/D^3
///           (derived from f' = t + x (1-t^2) s, f'' = (1-t^2) s (2 + x(1 - s - 2ts)),
///           t = tanh(softplus x), s = sigmoid x). f'(-inf) = 0, f'(+inf) = 1, f''(+-inf) = 0.
template <class W>
GEM_HOST_DEVICE GEM_INLINE W mish(W x) {
  if (x >= W(0)) {
    const W u = std::exp(-x);
    return x * ((W(1) + W(2) * u) / (W(1) + W(2) * u * (W(1) + u)));  // +inf * 1; -0 * t = -0
  }
  if (x >= W(kExpNormalFloor)) {
    const W e = std::exp(x), n = e * (e + W(2));
    return x * (n / (n + W(2)));
  }
  if (x == W(-HUGE_VAL)) return W(-0.0);
  const W h = std::exp(W(0.5) * x), e = h * h, n = e * (e + W(2));  // NaN flows through here
  return ((x * ((e + W(2)) / (n + W(2)))) * h) * h;
}

template <class W>
GEM_HOST_DEVICE GEM_INLINE W mish_grad(W x) {
  if (x >= W(0)) {
    if (x == W(HUGE_VAL)) return W(1);  // x u^2 would be inf * 0
    const W u = std::exp(-x), p = W(1) + W(2) * u, d = p + W(2) * u * u;
    return (p * d + (((x * u) * W(4)) * u) * (W(1) + u)) / (d * d);  // x u first: 4x may overflow
  }
  if (x >= W(kExpNormalFloor)) {
    const W e = std::exp(x), n2 = e * (e + W(2)) + W(2);
    return (e * ((e + W(2)) * n2 + W(4) * x * (W(1) + e))) / (n2 * n2);
  }
  const W h = std::exp(W(0.5) * x), e = h * h, n2 = e * (e + W(2)) + W(2);
  if (h == W(0)) return W(0);  // x <= ~-1490 (binary32 ~-208), -inf included: f' underflows,
                               // and 4x may overflow (inf * 0)
  return ((h * ((e + W(2)) * n2 + W(4) * x * (W(1) + e))) * h) / (n2 * n2);
}

template <class W>
GEM_HOST_DEVICE GEM_INLINE W mish_grad2(W x) {
  if (x >= W(0)) {
    const W u = std::exp(-x);
    if (u == W(0)) return W(0);  // x >= ~745 (binary32 ~104), +inf included: f'' underflows, and
                                 // the bracket (~ -2x) may be -inf
    const W d = W(1) + W(2) * u * (W(1) + u);
    const W b = W(2) * d * (W(1) + u) + x * (((W(2) * u + W(2)) * u - W(3)) * u - W(2));
    return (((W(4) * b) * u) * u) / (d * (d * d));
  }
  if (x >= W(kExpNormalFloor)) {
    const W e = std::exp(x), n = e * (e + W(2)), n2 = n + W(2);
    const W b = W(2) * (W(1) + e) * n2 + x * (n2 - W(2) * e * n);
    return (W(4) * e * b) / (n2 * (n2 * n2));
  }
  const W h = std::exp(W(0.5) * x), e = h * h, n = e * (e + W(2)), n2 = n + W(2);
  if (h == W(0)) return W(0);  // as in mish_grad
  const W b = W(2) * (W(1) + e) * n2 + x * (n2 - W(2) * e * n);
  return (((W(4) * b) * h) * h) / (n2 * (n2 * n2));
}

}  // namespace gem
