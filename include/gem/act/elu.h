// ELU with scale alpha on the negative side (torch.nn.ELU, default alpha = 1).
#pragma once

#include <cmath>

#include "gem/config.h"

namespace gem {

/// ELU: f(x) = x for x > 0, alpha * (exp(x) - 1) for x <= 0, with expm1 (exp(x) - 1 loses
/// every digit near 0: at x = -1e-10 it keeps 7 of 16).
///   Types:  W = double, float (long double on the host); 16-bit storage through opmath_t.
///   Bound:  1.5 ulp for f, f', f'' in binary64 and binary32 with glibc's libm (measured worst
///           1.38 against long double over the whole range: tests/core/baselines_test.cpp);
///           3 ulp on CUDA 13 (H100: worst 2.52 for f', f'' in binary32, from expf).
///   Range:  all x and any finite alpha; f(-inf) = -alpha, f(+inf) = +inf, f(-0) = alpha * -0,
///           NaN stays NaN. exp is only taken of x <= 0, so nothing overflows.
///   Grad:   f'(x) = 1 for x > 0, alpha exp(x) for x <= 0 (alpha at x = 0, as torch);
///           f''(x) = 0 for x > 0, alpha exp(x) for x <= 0. f'(-inf) = f''(-inf) = 0.
template <class W>
GEM_HOST_DEVICE GEM_INLINE W elu(W x, W alpha) {
  return x > W(0) ? x : alpha * std::expm1(x);  // NaN takes the second branch and stays NaN
}

template <class W>
GEM_HOST_DEVICE GEM_INLINE W elu_grad(W x, W alpha) {
  return x > W(0) ? W(1) : alpha * std::exp(x);
}

template <class W>
GEM_HOST_DEVICE GEM_INLINE W elu_grad2(W x, W alpha) {
  return x > W(0) ? W(0) : alpha * std::exp(x);
}

}  // namespace gem
