// Branch-free forms of f and f' for SIMD lanes and GPU threads, rearranged from the reference
// algorithm (gem.h, spec 3.2) so the common case costs one division and no data-dependent
// branch. Spec 3.2 allows this ("SIMD code may evaluate both sides and blend") provided the
// bounds of 3.4 hold; tests/core/golden_test.cpp and special_values_test.cpp (through lane_eval.h) check them on the
// golden values.
//
// Derivation. With p = t^m = a^m/S^m and e = eps/S^m (so r = p/e and q = e/p), multiplying
// numerator and denominator of the two-sided formulas of spec 2.1 by e or p gives one formula
// for both sides:
//   E(a)    = a p / (e + p)                 = ((a h) h) / (e + p)
//   E'(a)   = p (p + (m+1) e) / (e + p)^2   = (((p + (m+1) e) h) h) / (e + p)^2
//   SE(-a)  = -a e / (e + p)
//   SE'(-a) = e (e - (m-1) p) / (e + p)^2
// Multiplying by h twice (not by p) keeps the small side exact until the final rounding, as in
// 3.2. These only overflow where q = e/p is below the format's resolution (p >= 2^(64) or
// a p >= max in binary32), and there:
//   E = a,  E' = 1,  SE(-a) = -(((C2/a)/g)/g),  SE'(-a) = ((-(m-1) e)/h)/h      (3.2's outer forms)
// The SE fallbacks cost extra divisions, so they are evaluated only when a lane needs them.
//
// V is a lane type: float or double (GPU threads, scalar tails) or a SIMD wrapper that
// provides + - * / and comparisons, and the free functions select(mask, a, b), any(mask),
// mask_or(m1, m2) and mask_and(m1, m2), found by argument-dependent lookup.
#pragma once

#include <cfloat>
#include <limits>

#include "gem/act/gem_constants.h"
#include "gem/config.h"

namespace gem {

// Scalar lane operations (the SIMD wrappers provide their own).
template <class W>
GEM_HOST_DEVICE GEM_INLINE W select(bool m, W a, W b) {
  return m ? a : b;
}
GEM_HOST_DEVICE GEM_INLINE bool any(bool m) { return m; }
GEM_HOST_DEVICE GEM_INLINE bool mask_or(bool a, bool b) { return a || b; }
GEM_HOST_DEVICE GEM_INLINE bool mask_and(bool a, bool b) { return a && b; }

/// The constants of gem_constants.h, broadcast to lane type V, plus the literals the lane
/// forms use (a SIMD type cannot be built from a literal everywhere).
template <class V>
struct LaneConstants {
  V inv_s, e, c2, mp1e, mm1e, mm1, zero, neg_zero, one, big;
};

/// splat(W) -> V broadcasts one scalar.
template <class V, class W, class Splat>
GEM_HOST_DEVICE GEM_INLINE LaneConstants<V> lane_constants(const GemConstants<W>& c, Splat splat) {
  const W m = W(2 * c.n);
  const W big = sizeof(W) == sizeof(double) ? W(DBL_MAX) : W(FLT_MAX);
  return {splat(c.inv_s),          splat(c.e),     splat(c.c2),    splat((m + W(1)) * c.e),
          splat((m - W(1)) * c.e), splat(m - W(1)), splat(W(0)),   splat(-W(0)),
          splat(W(1)),             splat(big)};
}

/// g = t^(N-1), h = t^N, p = t^(2N) for t = a/S, unrolled for a compile-time N.
template <int N, class V>
struct LanePowers {
  V g, h, p;
};
template <int N, class V>
GEM_HOST_DEVICE GEM_INLINE LanePowers<N, V> lane_powers(const V& a, const LaneConstants<V>& k) {
  const V t = a * k.inv_s;
  if (N == 1) return {k.one, t, t * t};  // h = 1 * t exactly: no multiply by one (a run-time lane constant)
  V g = t;
  for (int i = 2; i < N; ++i) g = g * t;
  const V h = g * t;
  return {g, h, h * h};
}

/// E-GEM (and GEM) value.
template <int N, class V>
GEM_HOST_DEVICE GEM_INLINE V egem_lanes(const V& x, const LaneConstants<V>& k) {
  const LanePowers<N, V> pw = lane_powers<N>(x, k);
  const V num = (x * pw.h) * pw.h;
  const V y = num / (k.e + pw.p);
  const V y_far = select(mask_or(num > k.big, pw.p > k.big), x, y);  // q below resolution: E = a
  return select(x <= k.zero, k.zero, y_far);                         // NaN fails <= and stays NaN
}

/// E-GEM (and GEM) first derivative.
template <int N, class V>
GEM_HOST_DEVICE GEM_INLINE V egem_grad_lanes(const V& x, const LaneConstants<V>& k) {
  const LanePowers<N, V> pw = lane_powers<N>(x, k);
  const V ep = k.e + pw.p;
  const V num = ((pw.p + k.mp1e) * pw.h) * pw.h;
  const V den = ep * ep;
  const V y = select(mask_or(num > k.big, den > k.big), k.one, num / den);
  return select(x <= k.zero, k.zero, y);
}

/// SE-GEM value.
template <int N, class V>
GEM_HOST_DEVICE GEM_INLINE V segem_lanes(const V& x, const LaneConstants<V>& k) {
  const V a = k.neg_zero - x;  // |x| on the lanes that use it (x < 0)
  const LanePowers<N, V> pw = lane_powers<N>(a, k);
  const V ae = a * k.e;
  V y = (k.neg_zero - ae) / (k.e + pw.p);
  const auto far = mask_or(ae > k.big, pw.p > k.big);
  if (any(far)) {  // rare: |x| so large that q is negligible; 3.2's outer form, d = 1
    const V tail = k.neg_zero - (((k.c2 / a) / pw.g) / pw.g);
    y = select(far, tail, y);
  }
  return select(x >= k.zero, x, y);  // identity branch keeps -0
}

/// SE-GEM first derivative.
template <int N, class V>
GEM_HOST_DEVICE GEM_INLINE V segem_grad_lanes(const V& x, const LaneConstants<V>& k) {
  const V a = k.neg_zero - x;
  const LanePowers<N, V> pw = lane_powers<N>(a, k);
  const V ep = k.e + pw.p;
  const V den = ep * ep;
  V y = (k.e * (k.e - k.mm1 * pw.p)) / den;
  const auto far = den > k.big;
  if (any(far)) {  // rare: p >= ~2^64 (binary32); 3.2's outer form with q negligible
    const V tail = ((k.zero - k.mm1e) / pw.h) / pw.h;
    y = select(far, tail, y);
  }
  return select(x >= k.zero, k.one, y);
}

}  // namespace gem
