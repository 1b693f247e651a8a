// df/deps on lanes: the derivative a learnable eps needs on every training step, in the
// branch-free style of gem_lanes.h and with its reduced constants, so a SIMD or GPU loop gets it
// beside f' from the same powers. The second derivatives in eps (second-order autograd only)
// stay with the scalar algorithm of gem_eps_grad.h, which is also what this is tested against
// and what the lanes it cannot serve fall back to.
//
// Derivation. With t = a/S, p = t^m, e = eps/S^m, D = e + p (gem_lanes.h) and the gate
// g = p/D = a^m/(eps + a^m), gem_eps_grad.h's first line reads
//   dE/deps = -E/(eps + a^m) = -(a g)/(S^m D) = -w sigma,   w = (a g)/D,  sigma = S^-m = 2^(-m j),
// sigma an exact power of two, applied as two factors (alone it can exceed binary32's range where
// eps nears its ends). Where q = e/p is below the format's resolution (p or D overflows), g = 1
// and D = p, so w = a/p = (a/h)/h. SE-GEM at x < 0 is the reflection a = -x with the same sign
// (dSE/deps(x) = dE/deps(-x)).
//   Errors: the error of p enters w with the factor (e - p)/D, of size <= 1, so the bound of
//   gem_eps_grad.h holds (2N+6 ulps of max(|y*|, M)) while w, p, t and the result are normal
//   numbers. The lanes where one is not (|x| or the result within a few powers of the format's
//   ends) are flagged `exact`, and the kernels give those the scalar algorithm, which rounds a
//   subnormal result once. Measured on the golden rows: tests/torch/gem_eps_grad_test.cpp.
//   Special values: NaN -> NaN; E: x <= 0 -> +0, +inf -> -0; SE: x >= 0 -> +0, -inf -> -0.
#pragma once

#include <cfloat>
#include <cmath>

#include "gem/act/gem_constants.h"
#include "gem/act/gem_eps_grad.h"
#include "gem/act/gem_lanes.h"
#include "gem/config.h"

namespace gem {

/// sigma = S^-m as two factors, each within every format's range for a valid eps.
template <class W>
struct EpsScale {
  W hi, lo;
};

/// The two factors of sigma for order n and eps (both validated). Computed in binary64 (exact:
/// powers of two), rounded to W without loss.
template <class W>
EpsScale<W> make_eps_scale(int n, double eps) {
  const int m = 2 * n;
  const int j = floor_div(std::ilogb(eps), m);
  const int total = -m * j, half = total / 2;
  return {static_cast<W>(std::ldexp(1.0, half)), static_cast<W>(std::ldexp(1.0, total - half))};
}

/// The factors broadcast to lane type V, and the smallest normal number of the math type.
template <class V>
struct EpsLaneScale {
  V hi, lo, min_normal;
};

template <class V, class W, class Splat>
GEM_HOST_DEVICE GEM_INLINE EpsLaneScale<V> eps_lane_scale(const EpsScale<W>& s, Splat splat) {
  const W min_normal = sizeof(W) == sizeof(double) ? W(DBL_MIN) : W(FLT_MIN);
  return {splat(s.hi), splat(s.lo), splat(min_normal)};
}

/// df/deps on lanes, and the lanes that need the scalar algorithm instead.
template <class V, class M>
struct EpsGradLanes {
  V value;
  M exact;
};

/// -w sigma for a > 0 (the common part of E and SE), flagging where w, p or t leave the normal
/// range while the result does not underflow.
template <int N, class V>
GEM_HOST_DEVICE GEM_INLINE auto eps_grad_core_lanes(const V& a, const LaneConstants<V>& k, const EpsLaneScale<V>& s) {
  const LanePowers<N, V> pw = lane_powers<N>(a, k);
  const V d = k.e + pw.p;
  const V near = (a * (pw.p / d)) / d;
  const V far = (a / pw.h) / pw.h;  // q below resolution: g = 1, D = p
  const V w = select(mask_or(pw.p > k.big, d > k.big), far, near);
  const V y = k.neg_zero - (w * s.hi) * s.lo;
  const V r = k.zero - y;  // |y| (y <= 0)
  // Subnormal intermediates or result, or t = a/S overflowed (a finite): the scalar algorithm.
  const auto lost = mask_or(mask_or(w < s.min_normal, pw.p < s.min_normal), r < s.min_normal);
  auto exact = mask_and(a <= k.big, mask_or(lost, pw.h > k.big));
  return EpsGradLanes<V, decltype(exact)>{select(a > k.big, k.neg_zero, y), exact};
}

/// dE/deps (E-GEM and GEM) at x.
template <int N, class V>
GEM_HOST_DEVICE GEM_INLINE auto egem_eps_grad_lanes(const V& x, const LaneConstants<V>& k, const EpsLaneScale<V>& s) {
  auto c = eps_grad_core_lanes<N>(x, k, s);
  const auto active = x > k.zero;  // NaN fails > and stays NaN below
  c.exact = mask_and(active, c.exact);
  c.value = select(x <= k.zero, k.zero, c.value);
  return c;
}

/// dSE/deps (SE-GEM) at x.
template <int N, class V>
GEM_HOST_DEVICE GEM_INLINE auto segem_eps_grad_lanes(const V& x, const LaneConstants<V>& k, const EpsLaneScale<V>& s) {
  const V a = k.neg_zero - x;
  auto c = eps_grad_core_lanes<N>(a, k, s);
  const auto active = x < k.zero;
  c.exact = mask_and(active, c.exact);
  c.value = select(x >= k.zero, k.zero, c.value);
  return c;
}

}  // namespace gem
