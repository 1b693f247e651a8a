// The reduced constants of spec 3.2, computed once per (N, eps).
//
// With S = 2^j a power of two near the scale s = eps^(1/m), every evaluation uses t = |x|/S
// (exact) and e = eps/S^m in [1, 2^m), so eps never meets x^m unscaled. Computed in binary64
// (all exact except me and kd: one rounding each), then rounded to the working format W.
#pragma once

#include <cfloat>
#include <cmath>
#include <type_traits>

#include "gem/config.h"
#include "gem/numeric.h"
#include "gem/params.h"

namespace gem {

template <class W>
struct GemConstants {
  W inv_s;  // 2^-j = 1/S
  W e;      // eps / S^m, in [1, 2^m)
  W me;     // m e
  W kd;     // m / (e S)
  W c2;     // eps / S^(m-2) = e S^2
  int n;    // the order N; m = 2N
};

/// A true floor division (C++ '/' truncates toward zero).
constexpr int floor_div(int a, int b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/// True when binary32 arithmetic keeps the constants of (N, eps) at full precision (spec 3.2:
/// eps in [2^-126, FLT_MAX]); other eps are evaluated in binary64 and rounded once.
inline bool eps_fits_binary32(double eps) { return eps >= static_cast<double>(FLT_MIN) && eps <= static_cast<double>(FLT_MAX); }

/// Spec 3.2's rule for storage type T, asked by every kernel of every device: T's working format
/// (opmath_t: binary32 for float and the 16-bit types) unless that is binary32 and eps lies
/// outside its normal range; then the binary64 reference algorithm, rounded once to T.
template <class T>
bool needs_binary64(double eps) {
  return !std::is_same_v<opmath_t<T>, double> && !eps_fits_binary32(eps);
}

/// Constants of spec 3.2 for order n and eps (both already validated), in format W.
template <class W>
GemConstants<W> make_constants(int n, double eps) {
  const int m = 2 * n;
  const int j = floor_div(std::ilogb(eps), m);
  const double s = std::ldexp(1.0, j);
  const double e = std::ldexp(eps, -m * j);
  GemConstants<W> c;
  c.inv_s = static_cast<W>(std::ldexp(1.0, -j));
  c.e = static_cast<W>(e);
  c.me = static_cast<W>(m * e);
  c.kd = static_cast<W>(m / (e * s));
  c.c2 = static_cast<W>(std::ldexp(eps, -(m - 2) * j));
  c.n = n;
  return c;
}

template <class W>
GemConstants<W> make_constants(const Params& p) {
  return make_constants<W>(p.N, p.eps);
}

}  // namespace gem
