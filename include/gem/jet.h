// Truncated Taylor series ("jets"): exact derivatives of any order from the same formulas.
//
// Jet<W, K> holds c[0..K], the Taylor coefficients f^(k)(x0)/k! of a function at x0.
// Arithmetic propagates them exactly (up to the rounding of W), so evaluating a formula on
// Jet::variable(x0) gives f(x0), f'(x0), ..., f^(K)(x0). Comparisons look at the value only,
// which is what the branches of the stable algorithm need (a branch picks a formula valid
// on a neighbourhood, and the jet differentiates that formula).
//
//   Types:  W = double or float (long double works too); K up to a few dozen.
//   Cost:   O(K^2) per multiply and divide.
//   Range:  coefficients are not rescaled: through gem_value they stay accurate while
//           eps/|x|^(2N+2) is a normal number of W (binary64: |x| < ~1e17 for N = 8; binary32:
//           |x| < 128 for N = 8, 6200 for N = 4, 3e9 for N = 1), and lose digits beyond.
//   Use:    auto j = gem_value(v, Jet<double, 5>::variable(x), c);  j.derivative(3) == f'''(x)
#pragma once

#include "gem/config.h"

namespace gem {

/// The two O(K^2) recurrences on Taylor coefficients c[0..K], shared by Jet and ScaledJet.
namespace series {
/// r = a * b, the Cauchy product truncated at order K.
template <int K, class W>
GEM_HOST_DEVICE void product(const W* a, const W* b, W* r) {
  for (int k = 0; k <= K; ++k) {
    W s = W(0);
    for (int i = 0; i <= k; ++i) s += a[i] * b[k - i];
    r[k] = s;
  }
}
/// r = a / b solves r * b = a order by order: r_k = (a_k - sum_{i<k} r_i b_{k-i}) / b_0.
template <int K, class W>
GEM_HOST_DEVICE void quotient(const W* a, const W* b, W* r) {
  for (int k = 0; k <= K; ++k) {
    W s = a[k];
    for (int i = 0; i < k; ++i) s -= r[i] * b[k - i];
    r[k] = s / b[0];
  }
}
}  // namespace series

template <class W, int K>
struct Jet {
  W c[K + 1];

  GEM_HOST_DEVICE Jet() : Jet(W(0)) {}
  /// A constant (all derivatives 0). Implicit so that formulas can mix jets and scalars.
  GEM_HOST_DEVICE Jet(W v) {  // NOLINT(google-explicit-constructor)
    c[0] = v;
    for (int k = 1; k <= K; ++k) c[k] = W(0);
  }
  /// The independent variable at x0: x0 + 1 * dx.
  GEM_HOST_DEVICE static Jet variable(W x0) {
    Jet j(x0);
    if (K >= 1) j.c[1] = W(1);
    return j;
  }

  GEM_HOST_DEVICE W value() const { return c[0]; }
  /// k-th derivative: k! c[k].
  GEM_HOST_DEVICE W derivative(int k) const {
    W f = c[k];
    for (int i = 2; i <= k; ++i) f *= W(i);
    return f;
  }

  GEM_HOST_DEVICE friend Jet operator-(const Jet& a) {
    Jet r;
    for (int k = 0; k <= K; ++k) r.c[k] = -a.c[k];
    return r;
  }
  GEM_HOST_DEVICE friend Jet operator+(const Jet& a, const Jet& b) {
    Jet r;
    for (int k = 0; k <= K; ++k) r.c[k] = a.c[k] + b.c[k];
    return r;
  }
  GEM_HOST_DEVICE friend Jet operator-(const Jet& a, const Jet& b) {
    Jet r;
    for (int k = 0; k <= K; ++k) r.c[k] = a.c[k] - b.c[k];
    return r;
  }
  GEM_HOST_DEVICE friend Jet operator*(const Jet& a, const Jet& b) {
    Jet r;
    series::product<K>(a.c, b.c, r.c);
    return r;
  }
  GEM_HOST_DEVICE friend Jet operator/(const Jet& a, const Jet& b) {
    Jet r;
    series::quotient<K>(a.c, b.c, r.c);
    return r;
  }

  // Comparisons look at the value only.
  GEM_HOST_DEVICE friend bool operator<(const Jet& a, const Jet& b) { return a.c[0] < b.c[0]; }
  GEM_HOST_DEVICE friend bool operator<=(const Jet& a, const Jet& b) { return a.c[0] <= b.c[0]; }
  GEM_HOST_DEVICE friend bool operator>(const Jet& a, const Jet& b) { return a.c[0] > b.c[0]; }
  GEM_HOST_DEVICE friend bool operator>=(const Jet& a, const Jet& b) { return a.c[0] >= b.c[0]; }
};

}  // namespace gem
