// ReLU, the baseline every GEM variant is compared with.
#pragma once

#include "gem/config.h"

namespace gem {

/// ReLU: f(x) = max(x, 0).
///   Types:  W = double, float (long double on the host); 16-bit storage through opmath_t.
///   Bound:  exact (0 ulp): f, f', f'' are selections, no arithmetic.
///   Range:  all x; f(x <= 0) = +0 (also for -0), f(+inf) = +inf, NaN stays NaN.
///   Grad:   f'(x) = 1 for x > 0, 0 for x <= 0 (0 at x = 0, as torch); f''(x) = 0.
///           NaN gives NaN in all three (a comparison alone would turn it into 0 or 1).
template <class W>
GEM_HOST_DEVICE GEM_INLINE W relu(W x) {
  return x > W(0) ? x : (x <= W(0) ? W(0) : x);
}

template <class W>
GEM_HOST_DEVICE GEM_INLINE W relu_grad(W x) {
  return x > W(0) ? W(1) : (x <= W(0) ? W(0) : x);
}

template <class W>
GEM_HOST_DEVICE GEM_INLINE W relu_grad2(W x) {
  return x == x ? W(0) : x;
}

}  // namespace gem
