// GEM, E-GEM and SE-GEM: value, first and second derivative, by the reference algorithm of
// spec/gem-math.md section 3.2. This is the single statement of the math; the lane forms in
// gem_lanes.h rearrange it for SIMD and GPUs and are tested against it.
//
//   E-GEM_{N,eps}(x)  = x^(2N+1) / (eps + x^(2N))  for x > 0, 0 for x <= 0;  GEM_N = E-GEM_{N,1}
//   SE-GEM_{N,eps}(x) = x for x >= 0,  x eps / (eps + x^(2N)) for x < 0
//
//   Types:  W = double or float (the working format; 16-bit storage computes in float).
//           The value functions also take T = Jet<W, K> (jet.h), giving exact derivatives of
//           any order from the same formulas.
//   Bound:  |y - y*| <= B ulp(max(|y*|, M)), B = 2N+4 (f), 2N+6 (f'), 4N+12 (f'') (spec 3.4),
//           for every finite x and valid (N, eps); binary32 needs eps in [2^-126, FLT_MAX].
//   Range:  all x, no spurious overflow or underflow: every factor >= 1 is divided out last.
//   Special values (spec 3.3): NaN -> NaN; E: +inf -> (inf, 1, 0), x <= 0 -> (+0, 0, 0);
//           SE: x >= 0 -> (x, 1, 0) keeping the sign of -0, -inf -> (-0, 0, 0).
#pragma once

#include "gem/act/gem_constants.h"
#include "gem/config.h"
#include "gem/params.h"

namespace gem {

/// f, f', f'' at one point.
template <class W>
struct Derivs {
  W f, df, d2f;
};

/// t = a/S and its powers: g = t^(N-1), h = t^N, p = t^(2N) (repeated multiplication, spec 3.2).
template <class T>
struct GatePowers {
  T g, h, p;
};

template <class T, class W>
GEM_HOST_DEVICE GEM_INLINE GatePowers<T> gate_powers(const T& a, const GemConstants<W>& c) {
  const T t = a * c.inv_s;
  T g = T(W(1));  // t^(N-1); for N = 1 exactly 1, also at t = +inf
  for (int i = 1; i < c.n; ++i) g = g * t;
  const T h = g * t;
  return {g, h, h * h};
}

// ---- E-GEM on the positive side, a = x > 0 (the gate is "open" where p >= e) ----------------

/// E(a) on the outer side (p >= e): q = eps/a^m <= 1.
template <class T, class W>
GEM_HOST_DEVICE GEM_INLINE T egem_value_outer(const T& a, const GatePowers<T>& pw, const GemConstants<W>& c) {
  const T q = (c.e / pw.h) / pw.h;
  return a / (q + W(1));
}
/// E(a) on the inner side (p < e): r = a^m/eps < 1.
template <class T, class W>
GEM_HOST_DEVICE GEM_INLINE T egem_value_inner(const T& a, const GatePowers<T>& pw, const GemConstants<W>& c) {
  const T r = pw.p / c.e;
  return ((a * pw.h) * pw.h) / ((r + W(1)) * c.e);
}

/// E(a) for a > 0 (a may be +inf). T = W or a jet over W.
template <class T, class W>
GEM_HOST_DEVICE GEM_INLINE T egem_value_positive(const T& a, const GemConstants<W>& c) {
  const GatePowers<T> pw = gate_powers(a, c);
  return pw.p >= c.e ? egem_value_outer(a, pw, c) : egem_value_inner(a, pw, c);
}

/// E''(a) for a > 0; also SE''(-a) (reflection: SE''(x) = E''(-x)).
template <class W>
GEM_HOST_DEVICE GEM_INLINE W egem_grad2_positive(W a, const GemConstants<W>& c) {
  const W m = W(2 * c.n), mp1 = m + W(1), mm1 = m - W(1);
  const GatePowers<W> pw = gate_powers(a, c);
  if (pw.p >= c.e) {
    const W q = (c.e / pw.h) / pw.h, d = W(1) + q;
    return -((((c.me * (mm1 - mp1 * q)) / a) / pw.h) / pw.h) / (d * d * d);
  }
  const W r = pw.p / c.e, d = W(1) + r;
  return (((c.kd * (mp1 - mm1 * r)) * pw.g) * pw.h) / (d * d * d);
}

/// E, E', E'' together at x (any x).
template <class W>
GEM_HOST_DEVICE GEM_INLINE Derivs<W> egem_derivs(W x, const GemConstants<W>& c) {
  if (x <= W(0)) return {W(0), W(0), W(0)};  // +0 for -0 and x < 0; NaN falls through
  const W a = x;
  const W mp1 = W(2 * c.n) + W(1);
  const GatePowers<W> pw = gate_powers(a, c);
  const W d2f = egem_grad2_positive(a, c);
  if (pw.p >= c.e) {
    const W q = (c.e / pw.h) / pw.h, d = W(1) + q;
    return {egem_value_outer(a, pw, c), (W(1) + mp1 * q) / (d * d), d2f};
  }
  const W r = pw.p / c.e, d = W(1) + r;
  return {egem_value_inner(a, pw, c), (((mp1 + r) * pw.h) * pw.h) / (c.e * (d * d)), d2f};
}

// ---- SE-GEM on the negative side, x = -a < 0 -------------------------------------------------

/// SE(-a) on the outer side (p >= e).
template <class T, class W>
GEM_HOST_DEVICE GEM_INLINE T segem_value_outer(const T& a, const GatePowers<T>& pw, const GemConstants<W>& c) {
  const T q = (c.e / pw.h) / pw.h;
  return -((((c.c2 / a) / pw.g) / pw.g) / (q + W(1)));
}
/// SE(-a) on the inner side (p < e).
template <class T, class W>
GEM_HOST_DEVICE GEM_INLINE T segem_value_inner(const T& a, const GatePowers<T>& pw, const GemConstants<W>& c) {
  const T r = pw.p / c.e;
  return -(a / (r + W(1)));
}

/// SE(-a) for a > 0 (a may be +inf). T = W or a jet over W. (Lanes evaluate both sides and
/// select: src/cpu/derivative_kernels.cc.)
template <class T, class W>
GEM_HOST_DEVICE GEM_INLINE T segem_value_negative(const T& a, const GemConstants<W>& c) {
  const GatePowers<T> pw = gate_powers(a, c);
  return pw.p >= c.e ? segem_value_outer(a, pw, c) : segem_value_inner(a, pw, c);
}

/// SE, SE', SE'' together at x (any x).
template <class W>
GEM_HOST_DEVICE GEM_INLINE Derivs<W> segem_derivs(W x, const GemConstants<W>& c) {
  if (x >= W(0)) return {x, W(1), W(0)};  // identity branch keeps the sign of -0
  const W a = -x;
  const W m = W(2 * c.n), mm1 = m - W(1);
  const GatePowers<W> pw = gate_powers(a, c);
  const W d2f = egem_grad2_positive(a, c);
  if (pw.p >= c.e) {
    const W q = (c.e / pw.h) / pw.h, d = W(1) + q;
    return {segem_value_outer(a, pw, c), ((((q - mm1) * c.e) / pw.h) / pw.h) / (d * d), d2f};
  }
  const W r = pw.p / c.e, d = W(1) + r;
  return {segem_value_inner(a, pw, c), (W(1) - mm1 * r) / (d * d), d2f};
}

// ---- Public scalar API ------------------------------------------------------------------------

/// f(x) for the variant (GEM uses E-GEM's formulas with eps = 1). T = W or a jet over W.
template <class T, class W>
GEM_HOST_DEVICE GEM_INLINE T gem_value(Variant v, const T& x, const GemConstants<W>& c) {
  if (v == Variant::segem) return x >= W(0) ? x : segem_value_negative(-x, c);
  return x <= W(0) ? T(W(0)) : egem_value_positive(x, c);  // +0 for x <= 0
}

template <class W>
GEM_HOST_DEVICE GEM_INLINE Derivs<W> gem_derivs(Variant v, W x, const GemConstants<W>& c) {
  return v == Variant::segem ? segem_derivs(x, c) : egem_derivs(x, c);
}

/// The three quantities one at a time (what the kernels call).
template <class W>
GEM_HOST_DEVICE GEM_INLINE W gem_f(Variant v, W x, const GemConstants<W>& c) {
  return gem_derivs(v, x, c).f;
}
template <class W>
GEM_HOST_DEVICE GEM_INLINE W gem_grad(Variant v, W x, const GemConstants<W>& c) {
  return gem_derivs(v, x, c).df;
}
template <class W>
GEM_HOST_DEVICE GEM_INLINE W gem_grad2(Variant v, W x, const GemConstants<W>& c) {
  return gem_derivs(v, x, c).d2f;
}

}  // namespace gem
