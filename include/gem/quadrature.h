// Adaptive Gauss-Kronrod quadrature (the 7-point Gauss rule inside the 15-point Kronrod rule,
// QUADPACK's QK15) for smooth integrands on finite intervals, in binary64. An interval is split
// in two until |K15 - G7| is under its share of the tolerance; for smooth integrands that
// difference bounds the error of G7, so K15's true error is many orders below it. Used for the
// Gaussian moments of the activations (gaussian_moments.h); the integrand must be smooth inside
// each interval given (put kinks on the breakpoints).
#pragma once

#include <cfloat>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace gem {

namespace detail {
// Nodes of the 15-point Kronrod rule on [-1, 1] (the odd-indexed ones are the 7 Gauss nodes),
// their Kronrod weights, and the Gauss weights of nodes 1, 3, 5, 7 (QUADPACK qk15).
inline constexpr double kKronrodNodes[8] = {0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
                                            0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
                                            0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
                                            0.207784955007898467600689403773245, 0.0};
inline constexpr double kKronrodWeights[8] = {0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
                                              0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
                                              0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
                                              0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
inline constexpr double kGaussWeights[4] = {0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
                                            0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

struct KronrodResult {
  double integral, error;  // K15, and |K15 - G7|
};

template <class F>
KronrodResult kronrod15(const F& f, double a, double b) {
  const double center = 0.5 * (a + b), half = 0.5 * (b - a);
  const double fc = f(center);
  double kronrod = fc * kKronrodWeights[7], gauss = fc * kGaussWeights[3];
  for (int j = 0; j < 7; ++j) {
    const double dx = half * kKronrodNodes[j];
    const double sum = f(center - dx) + f(center + dx);
    kronrod += kKronrodWeights[j] * sum;
    if (j % 2 == 1) gauss += kGaussWeights[j / 2] * sum;
  }
  return {kronrod * half, std::fabs((kronrod - gauss) * half)};
}

template <class F>
double adaptive_kronrod(const F& f, double a, double b, double tolerance, int depth) {
  const KronrodResult r = kronrod15(f, a, b);
  if (!std::isfinite(r.integral)) throw std::domain_error("gem::integrate: the integrand is not finite on an interval");
  // Rounding keeps |K15 - G7| from falling far under the integral's last bits: stop there too.
  if (r.error <= std::fmax(tolerance, 64 * DBL_EPSILON * std::fabs(r.integral)) || depth == 0) return r.integral;
  const double mid = 0.5 * (a + b);
  return adaptive_kronrod(f, a, mid, 0.5 * tolerance, depth - 1) +
         adaptive_kronrod(f, mid, b, 0.5 * tolerance, depth - 1);
}
}  // namespace detail

/// The integral of f over the intervals between consecutive breakpoints (sorted), each refined
/// until its error estimate is under its length's share of `tolerance` (an absolute error) or
/// at the rounding level of its own integral.
template <class F>
double integrate(const F& f, const std::vector<double>& breakpoints, double tolerance) {
  const double span = breakpoints.back() - breakpoints.front();
  double total = 0;
  for (std::size_t i = 0; i + 1 < breakpoints.size(); ++i) {
    const double a = breakpoints[i], b = breakpoints[i + 1];
    if (b > a) total += detail::adaptive_kronrod(f, a, b, tolerance * (b - a) / span, /*depth=*/40);
  }
  return total;
}

}  // namespace gem
