// Spec 5 and 6: the L^p distance of E-GEM (and SE-GEM) to ReLU in closed form against two
// independent quadratures and the SE-GEM integral taken from the library's own evaluation;
// the divergent cases; the sup distance c_N eps^(1/(2N)) and the SE-GEM dip by golden-section
// search on the library's functions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <vector>

#include "gem/act/gem.h"

namespace gem {
namespace {

const double kPi = 3.141592653589793;

/// ||E-GEM_{N,eps} - ReLU||_p^p = eps^((p+1)/m) (1/m) B((p+1)/m, p - (p+1)/m) (spec 5); +inf
/// when the integral diverges, p (2N - 1) <= 1.
double lp_closed_form(int N, double eps, double p) {
  const double m = 2.0 * N;
  if (p * (m - 1) <= 1) return std::numeric_limits<double>::infinity();
  const double a = (p + 1) / m, b = p - a;
  const double beta = std::tgamma(a) * std::tgamma(b) / std::tgamma(a + b);
  return std::pow(eps, a) / m * beta;
}

/// ln of the integrand in the scaled variable t = x/s: ln (t/(1+t^m))^p, for any t > 0
/// (written so that t^m never overflows).
double log_scaled_integrand(int N, double p, double log_t) {
  const double m = 2.0 * N;
  if (log_t < 0) return p * (log_t - std::log1p(std::exp(m * log_t)));
  return p * ((1 - m) * log_t - std::log1p(std::exp(-m * log_t)));
}

/// Exp-sinh quadrature of integral_0^inf g(t) dt with t = exp((pi/2) sinh u), given
/// log_g(ln t): trapezoid in u, halving the step until two estimates agree to 1e-15.
double exp_sinh(const std::function<double(double)>& log_g) {
  auto sum_at = [&](double h, bool odd_only) {
    double s = 0;
    for (int k = odd_only ? 1 : 0; k * h <= 6.5; k += odd_only ? 2 : 1) {
      for (double u : {k * h, -k * h}) {
        const double log_t = kPi / 2 * std::sinh(u);
        s += std::exp(log_g(log_t) + log_t) * (kPi / 2 * std::cosh(u));
        if (k == 0) break;
      }
    }
    return s;
  };
  double h = 0.25, sum = sum_at(h, false), estimate = sum * h;
  for (int level = 0; level < 12; ++level) {
    h /= 2;
    sum += sum_at(h, true);
    const double next = sum * h;
    if (std::fabs(next - estimate) <= 1e-15 * std::fabs(next)) return next;
    estimate = next;
  }
  return estimate;
}

/// Adaptive Simpson on [a, b] to absolute tolerance tol.
double adaptive_simpson(const std::function<double(double)>& f, double a, double b, double tol) {
  std::function<double(double, double, double, double, double, double, double, int)> step =
      [&](double lo, double hi, double flo, double fmid, double fhi, double whole, double t, int depth) {
        const double mid = (lo + hi) / 2, lm = (lo + mid) / 2, rm = (mid + hi) / 2;
        const double flm = f(lm), frm = f(rm);
        const double left = (mid - lo) / 6 * (flo + 4 * flm + fmid), right = (hi - mid) / 6 * (fmid + 4 * frm + fhi);
        const double change = std::fabs(left + right - whole);
        // Stop at the tolerance, or where the change is down at rounding level (halving t
        // further would only chase rounding noise down to the depth limit).
        if (depth <= 0 || change <= 15 * t || change <= 1e-15 * std::fabs(left + right))
          return left + right + (left + right - whole) / 15;
        return step(lo, mid, flo, flm, fmid, left, t / 2, depth - 1) + step(mid, hi, fmid, frm, fhi, right, t / 2, depth - 1);
      };
  const double fa = f(a), fb = f(b), fm = f((a + b) / 2);
  return step(a, b, fa, fm, fb, (b - a) / 6 * (fa + 4 * fm + fb), tol, 30);
}

/// integral_0^inf (eps x/(eps + x^m))^p dx by adaptive Simpson in v = ln x over the scale
/// s e^(+-42/m), with the two tails in closed form (first-order corrected):
///   left:  integrand = x^p (1 - p x^m/eps + ...)
///   right: integrand = eps^p x^(p(1-m)) (1 - p eps/x^m + ...)
double lp_by_simpson_in_log_x(int N, double eps, double p) {
  const double m = 2.0 * N, log_s = std::log(eps) / m, reach = 42.0 / m;
  const double lo = log_s - reach, hi = log_s + reach;
  auto integrand = [&](double v) {  // f(e^v) e^v, in logs
    return std::exp(log_scaled_integrand(N, p, v - log_s) + p * log_s + v);
  };
  const double x_lo = std::exp(lo), x_hi = std::exp(hi);
  const double left = std::pow(x_lo, p + 1) / (p + 1) -
                      p / eps * std::pow(x_lo, p + 1 + m) / (p + 1 + m);
  const double k = p * (m - 1) - 1;  // > 0 where the integral converges
  const double right = std::pow(eps, p) * (std::pow(x_hi, -k) / k - p * eps * std::pow(x_hi, -k - m) / (k + m));
  const double middle = adaptive_simpson(integrand, lo, hi, 1e-14 * std::exp((p + 1) * log_s));
  return left + middle + right;
}

/// Exp-sinh in x = s t (spec 5's substitution).
double lp_by_exp_sinh(int N, double eps, double p) {
  const double s = std::pow(eps, 1.0 / (2 * N));
  return std::pow(s, p + 1) * exp_sinh([&](double log_t) { return log_scaled_integrand(N, p, log_t); });
}

/// ||SE-GEM - ReLU||_p^p = integral_{-inf}^0 |SE(x)|^p dx, with SE from the library (gem.h).
double lp_segem_direct(int N, double eps, double p) {
  const GemConstants<double> c = make_constants<double>(N, eps);
  return exp_sinh([&](double log_a) {
    const double se = gem_derivs(Variant::segem, -std::exp(log_a), c).f;
    return p * std::log(std::fabs(se));
  });
}

struct LpRow {
  int N;
  double eps, p, closed_form;  // spec 5's table
};
const LpRow kSpecTable[] = {
    {1, 1, 2, 7.853981633974484e-01},  {1, 1e-2, 2, 7.853981633974484e-04}, {1, 1e-4, 3, 2.500000000000001e-09},
    {1, 1, 1.5, 1.854074677301373e+00}, {2, 1, 1, 7.853981633974488e-01},    {2, 1e-4, 2, 2.776801836348980e-04},
    {2, 1, 0.5, 2.518927046809650e+00}, {3, 0.3, 1, 4.047390197521589e-01},  {3, 1, 0.25, 4.742184572481834e+00},
    {4, 10, 1.5, 7.650502848850824e-01}, {4, 1e-6, 1, 1.756203682760180e-02}, {8, 2.5, 0.1, 3.088052671840256e+00},
};

double rel(double a, double b) { return std::fabs(a - b) / std::fabs(b); }

TEST(Lp, ClosedFormMatchesSpecTableAndClosedCases) {
  for (const LpRow& r : kSpecTable)
    EXPECT_LE(rel(lp_closed_form(r.N, r.eps, r.p), r.closed_form), 1e-14) << "N=" << r.N << " eps=" << r.eps << " p=" << r.p;
  for (double eps : {1e-6, 1e-4, 1e-2, 1.0, 10.0}) {
    EXPECT_LE(rel(lp_closed_form(1, eps, 2), kPi / 4 * std::pow(eps, 1.5)), 1e-14) << eps;
    EXPECT_LE(rel(lp_closed_form(1, eps, 3), eps * eps / 4), 1e-14) << eps;
    EXPECT_LE(rel(lp_closed_form(2, eps, 1), kPi / 4 * std::sqrt(eps)), 1e-14) << eps;
  }
}

TEST(Lp, ClosedFormMatchesTwoQuadraturesAndTheSegemIntegral) {
  for (const LpRow& r : kSpecTable) {
    const double closed = lp_closed_form(r.N, r.eps, r.p);
    const double es = lp_by_exp_sinh(r.N, r.eps, r.p), simpson = lp_by_simpson_in_log_x(r.N, r.eps, r.p),
                 se = lp_segem_direct(r.N, r.eps, r.p);
    std::printf("N=%d eps=%-6g p=%-4g closed %.15e  exp-sinh %.1e  Simpson %.1e  SE-GEM direct %.1e\n", r.N, r.eps, r.p,
                closed, rel(es, closed), rel(simpson, closed), rel(se, closed));
    EXPECT_LE(rel(es, closed), 1e-12) << "exp-sinh, N=" << r.N << " eps=" << r.eps << " p=" << r.p;
    EXPECT_LE(rel(simpson, closed), 1e-12) << "Simpson, N=" << r.N << " eps=" << r.eps << " p=" << r.p;
    // SE(x) underflows in binary64 for |x| large, and with p = 0.1 the lost tail still weighs
    // ~1e-11 (N = 8): the integral of (eps |x|^(1-m))^p beyond the underflow point.
    EXPECT_LE(rel(se, closed), 1e-10) << "SE-GEM direct, N=" << r.N << " eps=" << r.eps << " p=" << r.p;
  }
}

/// p (2N - 1) <= 1: the closed form is not finite, and the integral does grow without bound;
/// at N = 1, p = 1 the partial integral to R is (eps/2) ln(1 + R^2/eps) (spec 5).
TEST(Lp, DivergentCasesAreFlagged) {
  EXPECT_TRUE(std::isinf(lp_closed_form(1, 1e-4, 1)));
  EXPECT_TRUE(std::isinf(lp_closed_form(1, 1.0, 0.5)));
  EXPECT_TRUE(std::isinf(lp_closed_form(2, 1.0, 1.0 / 3)));
  EXPECT_TRUE(std::isinf(lp_closed_form(3, 1.0, 0.2)));
  EXPECT_TRUE(std::isinf(lp_closed_form(8, 1.0, 1.0 / 15)));
  EXPECT_TRUE(std::isfinite(lp_closed_form(1, 1.0, 1.0001)));
  EXPECT_TRUE(std::isfinite(lp_closed_form(2, 1.0, 0.34)));
  const double eps = 1e-2;
  const GemConstants<double> c = make_constants<double>(1, eps);
  double previous = 0;
  for (double R : {10.0, 1e3, 1e6, 1e12}) {
    // integral_0^R (x - E(x)) dx in v = ln x (+ the x^2/2 below 1e-12), with x - E(x) taken
    // from the library as -SE(-x) (reflection, spec 1), which does not cancel at large x.
    auto integrand = [&](double v) {
      const double x = std::exp(v);
      return -gem_derivs(Variant::segem, -x, c).f * x;
    };
    const double got = 1e-24 / 2 + adaptive_simpson(integrand, std::log(1e-12), std::log(R), 1e-13);
    const double want = eps / 2 * std::log1p(R * R / eps);
    EXPECT_LE(rel(got, want), 1e-9) << "R=" << R;
    EXPECT_GT(got, previous);
    previous = got;
  }
}

// ---- Spec 5 (sup distance) and 6 (the dip), by golden-section search -----------------------------

/// argmin of a unimodal f on [a, b].
double golden_section_min(const std::function<double(double)>& f, double a, double b) {
  const double g = (std::sqrt(5.0) - 1) / 2;
  double c = b - g * (b - a), d = a + g * (b - a), fc = f(c), fd = f(d);
  for (int i = 0; i < 200 && std::fabs(b - a) > 1e-15 * (std::fabs(a) + std::fabs(b)); ++i) {
    if (fc < fd) {
      b = d, d = c, fd = fc, c = b - g * (b - a), fc = f(c);
    } else {
      a = c, c = d, fc = fd, d = a + g * (b - a), fd = f(d);
    }
  }
  return (a + b) / 2;
}

const double kC[] = {0.5,          0.5698767642, 0.6372704094, 0.6860737421,
                     0.7224674056, 0.7506348356, 0.7731218266, 0.7915267064};  // c_N, spec 5

TEST(Lp, SupDistanceIsCNTimesEpsToTheOneOver2N) {
  double worst = 0;
  for (int N = 1; N <= 8; ++N) {
    const double m = 2.0 * N, c_N = std::pow(m - 1, (m - 1) / m) / m;
    EXPECT_NEAR(c_N, kC[N - 1], 1e-10) << N;
    for (double eps : {1e-6, 1e-2, 1.0, 10.0}) {
      const GemConstants<double> c = make_constants<double>(N, eps);
      const double s = std::pow(eps, 1 / m);
      const double x_max = golden_section_min([&](double x) { return -(x - gem_derivs(Variant::egem, x, c).f); },
                                              0.01 * s, 10 * s);
      const double sup = x_max - gem_derivs(Variant::egem, x_max, c).f;
      const double want_x = std::pow(eps / (m - 1), 1 / m), want = c_N * s;
      worst = std::fmax(worst, rel(sup, want));
      EXPECT_LE(rel(sup, want), 1e-13) << "N=" << N << " eps=" << eps;
      EXPECT_LE(rel(x_max, want_x), 1e-6) << "N=" << N << " eps=" << eps;
    }
  }
  std::printf("sup |E-GEM - ReLU| by golden section vs c_N eps^(1/2N): worst relative %.1e\n", worst);
}

TEST(Lp, SegemDipAndItsDistanceToRelu) {
  double worst = 0;
  for (int N = 1; N <= 8; ++N) {
    const double m = 2.0 * N, c_N = kC[N - 1];
    for (double eps : {1e-6, 1e-2, 1.0, 10.0}) {
      const GemConstants<double> c = make_constants<double>(N, eps);
      const double s = std::pow(eps, 1 / m);
      auto se = [&](double x) { return gem_derivs(Variant::segem, x, c).f; };
      const double x_dip = golden_section_min(se, -10 * s, 0.0);
      const double want_x = -std::pow(eps / (m - 1), 1 / m), want = -(m - 1) / m * std::pow(eps / (m - 1), 1 / m);
      worst = std::fmax(worst, rel(se(x_dip), want));
      EXPECT_LE(rel(se(x_dip), want), 1e-13) << "N=" << N << " eps=" << eps;
      EXPECT_LE(rel(se(x_dip), -c_N * s), 1e-9) << "N=" << N << " eps=" << eps;  // kC has 10 digits
      EXPECT_LE(rel(x_dip, want_x), 1e-6) << "N=" << N << " eps=" << eps;
      // SE' vanishes at x* (up to the rounding of x* and the cancellation M = 2(m-1)^2/m^2),
      // is negative before and positive after: one minimum, no dead zone.
      EXPECT_LE(std::fabs(gem_derivs(Variant::segem, want_x, c).df), 1e-14) << "N=" << N << " eps=" << eps;
      for (double k : {1.001, 1.5, 10.0, 1e6}) EXPECT_LT(gem_derivs(Variant::segem, want_x * k, c).df, 0.0);
      for (double k : {0.999, 0.5, 0.1, 1e-6}) EXPECT_GT(gem_derivs(Variant::segem, want_x * k, c).df, 0.0);
    }
  }
  // N = 1: x* = -sqrt(eps), SE(x*) = -sqrt(eps)/2.
  const GemConstants<double> c = make_constants<double>(1, 1e-4);
  EXPECT_NEAR(gem_derivs(Variant::segem, -0.01, c).f, -0.005, 1e-18);
  std::printf("SE-GEM dip by golden section vs -(2N-1)/(2N) (eps/(2N-1))^(1/2N): worst relative %.1e\n", worst);
}

}  // namespace
}  // namespace gem
