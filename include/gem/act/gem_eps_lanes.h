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
// eps nears its ends), and w = (a p)/D^2, one division. SE-GEM at x < 0 is the reflection a = -x
// with the same sign (dSE/deps(x) = dE/deps(-x)).
//   Errors: the error of p enters w with the factor (e - p)/D, of size <= 1, so the bound of
//   gem_eps_grad.h holds (2N+6 ulps of max(|y*|, M)) while p, w, a p, D^2 and the result are
//   normal numbers. That holds on an interval of |x| computed once per (N, eps) (lane_range,
//   in closed form, with a factor 2 to spare); the lanes outside it (|x| or the result within a few powers of
//   the format's ends) are flagged `exact` from x alone, before any division, and the kernels
//   give those the scalar algorithm, which rounds a subnormal result once. Measured on the
//   golden rows: tests/torch/gem_eps_grad_test.cpp.
//   Special values: NaN -> NaN; E: x <= 0 -> +0, +inf -> -0; SE: x >= 0 -> +0, -inf -> -0.
#pragma once

#include <cfloat>
#include <cmath>
#include <limits>
#include <utility>

#include "gem/act/gem_constants.h"
#include "gem/act/gem_eps_grad.h"
#include "gem/act/gem_lanes.h"
#include "gem/config.h"

namespace gem {

/// sigma = S^-m as two factors, each within every format's range for a valid eps, and the range
/// [a_min, a_max] of |x| where the lane form is exact enough (see lane_range below).
template <class W>
struct EpsScale {
  W hi, lo, a_min, a_max;
};

namespace detail {

/// The interval of L = log2(t), t = a/S, where every intermediate of the lane form is a normal
/// number of a format with smallest normal 2^lo2 and largest below 2^hi2, with a factor 2 to
/// spare: p = t^m, w = a p/D^2 = S t^(m+1)/D^2 and the result w sigma at least 2^(lo2+1), a p at
/// most 2^(hi2-1), D^2 at most 2^(hi2-2). With log2(D) = log2(e + t^m) <= max(log2 e, m L) + 1
/// every condition is linear in L on each side of L0 = log2(e)/m (log2 w is bounded below by
/// j + (m+1)L - 2 log2 e - 2 left of L0 and by j + (1-m)L - 2 right of it), so the interval has a
/// closed form: a little narrower than the exact one, never wider. Empty (min > max) if nothing
/// qualifies.
inline std::pair<double, double> lane_range(int m, int j, double log2_e, double lo2, double hi2) {
  const double need = lo2 + 1 + (m * j > 0 ? m * j : 0);  // log2 w, and log2(w sigma) = log2 w - m j
  const double rise = (need + 2 + 2 * log2_e - j) / (m + 1), fall = (j - 2 - need) / (m - 1);
  const double L0 = log2_e / m;
  if (j + (1 - m) * L0 - 2 < need) return {1.0, 0.0};  // w too small even at its peak
  const double L_min = std::fmax(rise, (lo2 + 1) / m);
  const double L_max = std::fmin(std::fmin(fall, (hi2 - 1 - j) / (m + 1)), (hi2 / 2 - 2) / m);
  return {L_min, L_max};
}

}  // namespace detail

/// sigma's factors and the lane range for order n and eps (both validated), computed in binary64
/// and rounded to W: the factors exactly (powers of two), the range inward.
template <class W>
EpsScale<W> make_eps_scale(int n, double eps) {
  const int m = 2 * n;
  const int j = floor_div(std::ilogb(eps), m);
  const int total = -m * j, half = total / 2;
  const bool binary64 = sizeof(W) == sizeof(double);
  const double lo2 = binary64 ? -1022 : -126, hi2 = binary64 ? 1024 : 128;
  const auto [L_min, L_max] = detail::lane_range(m, j, std::log2(std::ldexp(eps, -m * j)), lo2, hi2);
  // a = S t = 2^(j + L), clamped to W's finite range (no lane reaches the form outside it).
  const double big = binary64 ? DBL_MAX : static_cast<double>(FLT_MAX);
  const double a_min = std::fmin(std::exp2(j + L_min), big), a_max = std::fmin(std::exp2(j + L_max), big);
  W w_min = static_cast<W>(a_min), w_max = static_cast<W>(a_max);
  if (static_cast<double>(w_min) < a_min) w_min = std::nextafter(w_min, std::numeric_limits<W>::infinity());
  if (static_cast<double>(w_max) > a_max) w_max = std::nextafter(w_max, W(0));
  return {static_cast<W>(std::ldexp(1.0, half)), static_cast<W>(std::ldexp(1.0, total - half)), w_min, w_max};
}

/// The factors and the range broadcast to lane type V.
template <class V>
struct EpsLaneScale {
  V hi, lo, a_min, a_max;
};

template <class V, class W, class Splat>
GEM_HOST_DEVICE GEM_INLINE EpsLaneScale<V> eps_lane_scale(const EpsScale<W>& s, Splat splat) {
  return {splat(s.hi), splat(s.lo), splat(s.a_min), splat(s.a_max)};
}

/// df/deps on lanes, and the lanes that need the scalar algorithm instead.
template <class V, class M>
struct EpsGradLanes {
  V value;
  M exact;
};

/// -w sigma for a > 0 (the common part of E and SE), flagging the finite a outside the lane
/// range, where an intermediate would leave the normal numbers (or D^2 overflow): the scalar
/// algorithm serves those. The flag depends on a alone, so a loop knows it before dividing.
/// w = (a p)/D^2: D^2 is also the denominator of f' (gem_lanes.h), shared by a loop that needs
/// both (eps_grads).
template <int N, class V>
GEM_HOST_DEVICE GEM_INLINE auto eps_grad_core_lanes(const V& a, const LaneConstants<V>& k, const EpsLaneScale<V>& s) {
  const LanePowers<N, V> pw = lane_powers<N>(a, k);
  const V d = k.e + pw.p;
  const V w = (a * pw.p) / (d * d);
  const V y = k.neg_zero - (w * s.hi) * s.lo;
  auto exact = mask_and(a <= k.big, mask_or(a<s.a_min, a> s.a_max));
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
