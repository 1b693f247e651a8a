// Jets with a binary exponent: Taylor coefficients of any order, over the whole range of W.
//
// ScaledJet<W, K> is 2^e (c[0] + c[1] s + ... + c[K] s^K): the Taylor polynomial of a function in
// a step variable s, the mantissas c kept near 1 by a power-of-two rescaling after every
// operation (exact), the scale in the int e. A plain Jet (jet.h) overflows where a formula's
// intermediate does (x^(2N) for large |x|) and loses digits where eps/|x|^(2N+2) leaves the
// normal range; this one does neither, so evaluating the stable formulas of gem.h on
//
//   ScaledJet<W, K>::variable(x0, step)      x = x0 + step * s, step a power of two
//
// gives f^(k)(x0) = k! c[k] 2^e / step^k for every k <= K, rounded once at the end
// (derivative(k, step)), with no spurious overflow or underflow. Comparisons look at the value
// only, as the stable algorithm's branches need (jet.h says why).
//
//   Types:  W = double (float works, with fewer digits); K up to a few dozen.
//   Cost:   O(K^2) per multiply and divide, plus K + 1 ldexp per operation.
#pragma once

#include <cmath>

#include "gem/config.h"
#include "gem/jet.h"

namespace gem {

template <class W, int K>
struct ScaledJet {
  W c[K + 1];
  int e = 0;

  GEM_HOST_DEVICE ScaledJet() : ScaledJet(W(0)) {}
  /// A constant (all derivatives 0). Implicit so that formulas can mix jets and scalars.
  GEM_HOST_DEVICE ScaledJet(W v) {  // NOLINT(google-explicit-constructor)
    c[0] = v;
    for (int k = 1; k <= K; ++k) c[k] = W(0);
    normalize();
  }
  /// The independent variable x0 + step * s (step = 2^step_exp).
  GEM_HOST_DEVICE static ScaledJet variable(W x0, int step_exp) {
    using std::ldexp;
    ScaledJet j;
    j.c[0] = ldexp(x0, -step_exp);  // exact: a power of two
    if (K >= 1) j.c[1] = W(1);
    j.e = step_exp;
    j.normalize();
    return j;
  }

  /// The value 2^e c[0] (inf or 0 where it leaves W's range).
  GEM_HOST_DEVICE W value() const {
    using std::ldexp;
    return ldexp(c[0], e);
  }
  /// f^(k) = k! c[k] 2^e / 2^(k step_exp): k! is exact in binary64 up to 22!, so the product
  /// rounds once, and the power of two is exact unless the result leaves the normal range.
  GEM_HOST_DEVICE W derivative(int k, int step_exp) const {
    using std::ldexp;
    W factorial = W(1);
    for (int i = 2; i <= k; ++i) factorial *= W(i);
    return ldexp(c[k] * factorial, e - k * step_exp);
  }

  /// True when every coefficient is 0 (its e then carries no information).
  GEM_HOST_DEVICE bool is_zero() const {
    for (int k = 0; k <= K; ++k)
      if (c[k] != W(0)) return false;
    return true;
  }

  /// Moves the largest |c[k]| into [1, 2) by a power of two (exact). Zero and non-finite
  /// mantissas are left alone (a NaN stays a NaN).
  GEM_HOST_DEVICE void normalize() {
    using std::fabs;
    using std::ilogb;
    using std::isfinite;
    using std::ldexp;
    W big = W(0);
    for (int k = 0; k <= K; ++k) {
      if (!isfinite(c[k])) return;
      if (fabs(c[k]) > big) big = fabs(c[k]);
    }
    if (big == W(0)) return;
    const int shift = ilogb(big);
    for (int k = 0; k <= K; ++k) c[k] = ldexp(c[k], -shift);
    e += shift;
  }

  GEM_HOST_DEVICE friend ScaledJet operator-(const ScaledJet& a) {
    ScaledJet r = a;
    for (int k = 0; k <= K; ++k) r.c[k] = -a.c[k];
    return r;
  }
  /// Sums align to the larger scale; what falls below the other's resolution is negligible.
  GEM_HOST_DEVICE friend ScaledJet operator+(const ScaledJet& a, const ScaledJet& b) {
    using std::ldexp;
    if (a.is_zero()) return b;  // a zero's exponent must not swamp the other
    if (b.is_zero()) return a;
    const bool a_big = a.e >= b.e;
    const ScaledJet& hi = a_big ? a : b;
    const ScaledJet& lo = a_big ? b : a;
    ScaledJet r;
    r.e = hi.e;
    for (int k = 0; k <= K; ++k) r.c[k] = hi.c[k] + ldexp(lo.c[k], lo.e - hi.e);
    r.normalize();
    return r;
  }
  GEM_HOST_DEVICE friend ScaledJet operator-(const ScaledJet& a, const ScaledJet& b) { return a + (-b); }
  GEM_HOST_DEVICE friend ScaledJet operator*(const ScaledJet& a, const ScaledJet& b) {
    ScaledJet r;
    series::product<K>(a.c, b.c, r.c);
    r.e = a.e + b.e;
    r.normalize();
    return r;
  }
  GEM_HOST_DEVICE friend ScaledJet operator/(const ScaledJet& a, const ScaledJet& b) {
    ScaledJet r;
    series::quotient<K>(a.c, b.c, r.c);
    r.e = a.e - b.e;
    r.normalize();
    return r;
  }

  // Comparisons look at the value only: 2^e c[0] against the other's, exactly, without forming
  // either (a NaN compares false, as for W).
  GEM_HOST_DEVICE friend bool unordered(const ScaledJet& a, const ScaledJet& b) {
    return a.c[0] != a.c[0] || b.c[0] != b.c[0];
  }
  /// -1, 0 or 1 as a's value is below, equal to or above b's (both ordered and finite).
  GEM_HOST_DEVICE friend int compare(const ScaledJet& a, const ScaledJet& b) {
    using std::ilogb;
    using std::ldexp;
    const int sa = (a.c[0] > W(0)) - (a.c[0] < W(0)), sb = (b.c[0] > W(0)) - (b.c[0] < W(0));
    if (sa != sb) return sa < sb ? -1 : 1;
    if (sa == 0) return 0;
    const int la = ilogb(a.c[0]), lb = ilogb(b.c[0]);
    int magnitude;
    if (a.e + la != b.e + lb) {
      magnitude = a.e + la < b.e + lb ? -1 : 1;
    } else {
      const W ma = ldexp(a.c[0], -la), mb = ldexp(b.c[0], -lb);  // both in (-2, -1] or [1, 2)
      magnitude = ma == mb ? 0 : ((ma < mb) == (sa > 0) ? -1 : 1);
    }
    return sa * magnitude;
  }
  GEM_HOST_DEVICE friend bool operator<(const ScaledJet& a, const ScaledJet& b) {
    return !unordered(a, b) && compare(a, b) < 0;
  }
  GEM_HOST_DEVICE friend bool operator<=(const ScaledJet& a, const ScaledJet& b) {
    return !unordered(a, b) && compare(a, b) <= 0;
  }
  GEM_HOST_DEVICE friend bool operator>(const ScaledJet& a, const ScaledJet& b) {
    return !unordered(a, b) && compare(a, b) > 0;
  }
  GEM_HOST_DEVICE friend bool operator>=(const ScaledJet& a, const ScaledJet& b) {
    return !unordered(a, b) && compare(a, b) >= 0;
  }
};

}  // namespace gem
