// Leaky ReLU with a negative-side slope (torch.nn.LeakyReLU's negative_slope, default 0.01).
#pragma once

#include "gem/config.h"

namespace gem {

/// Leaky ReLU: f(x) = x for x > 0, slope * x for x <= 0.
///   Types:  W = double, float (long double on the host); 16-bit storage through opmath_t.
///   Bound:  0.5 ulp (one multiplication, correctly rounded).
///   Range:  all x and any finite slope; f(+inf) = +inf; f(-inf) = -inf * slope, and -0 when
///           slope = 0 (the limit, where the product would be 0 * inf = NaN); f(-0) = slope * -0;
///           NaN stays NaN.
///   Grad:   f'(x) = 1 for x > 0, slope for x <= 0 (slope at x = 0, as torch); f''(x) = 0.
///           NaN gives NaN in all three.
template <class W>
GEM_HOST_DEVICE GEM_INLINE W leaky_relu(W x, W slope) {
  if (x > W(0)) return x;
  if (slope == W(0) && x < W(0)) return W(-0.0);  // 0 * (-inf) would be NaN; the limit is -0
  return slope * x;
}

template <class W>
GEM_HOST_DEVICE GEM_INLINE W leaky_relu_grad(W x, W slope) {
  return x > W(0) ? W(1) : (x <= W(0) ? slope : x);
}

template <class W>
GEM_HOST_DEVICE GEM_INLINE W leaky_relu_grad2(W x, W /*slope*/) {
  return x == x ? W(0) : x;
}

}  // namespace gem
