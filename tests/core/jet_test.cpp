// Taylor jets (jet.h) through the value formulas of gem.h:
//  - f, f', f'' from Jet<W, 2> match the closed forms (gem_derivs) and the golden values;
//  - at 0 the one-sided jets give spec 2.3 exactly: orders 0..2N agree from both sides, order
//    2N+1 jumps by +(2N+1)!/eps, and E^(km+1)(0+) = (-1)^(k-1) (km+1)!/eps^k, all others 0;
//  - at generic points the jet derivatives of orders 1..5 match central differences.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "common/golden.h"
#include "gem/act/gem.h"
#include "gem/jet.h"

namespace gem {
namespace {

template <class W>
Derivs<W> jet_derivs(Variant v, W x, const GemConstants<W>& c) {
  const Jet<W, 2> j = gem_value(v, Jet<W, 2>::variable(x), c);
  return {j.derivative(0), j.derivative(1), j.derivative(2)};
}

double pick(const Derivs<double>& d, int q) { return q == 0 ? d.f : q == 1 ? d.df : d.d2f; }

/// Where jets work: their Taylor coefficients have no scaling, so on the outer side the
/// coefficient q/x^2 ~ eps/|x|^(2N+2) of f'' must stay a normal number of W (beyond that the
/// jet's f' and f'' lose digits, then turn NaN once t^N overflows; gem_derivs has no such
/// limit): |x| > (eps 2^1022)^(1/(2N+2)) in binary64 (1.2e17 for N = 8, eps = 1) and
/// (eps 2^126)^(1/(2N+2)) in binary32 (128 for N = 8, eps = 1).
template <class W>
bool jet_in_range(int N, double eps, double x) {
  if (x == 0 || !std::isfinite(x)) return true;
  const double log2_coefficient = std::log2(eps) - (2 * N + 2) * std::log2(std::fabs(x));
  return log2_coefficient >= std::numeric_limits<W>::min_exponent - 1;
}

/// Jets against the golden values, with the bounds of spec 3.4, in binary64 and binary32.
template <class W>
void check_jets_on_golden(const char* type_name) {
  double worst[3] = {0, 0, 0};
  int checked = 0, beyond = 0, out_of_range = 0;
  for (const testing::GoldenRow& r : testing::load_golden()) {
    if (sizeof(W) == sizeof(float) && double(float(r.x)) != r.x) continue;
    if (!jet_in_range<W>(r.N, r.eps, r.x)) {
      ++out_of_range;
      continue;
    }
    const Derivs<W> y = jet_derivs(r.variant, static_cast<W>(r.x), make_constants<W>(r.N, r.eps));
    const double got[3] = {double(y.f), double(y.df), double(y.d2f)}, exact[3] = {r.f, r.df, r.d2f};
    for (int q = 0; q < 3; ++q) {
      const double M = testing::cancel_magnitude(r.variant, r.N, r.eps, r.x, q, exact[q]);
      const double err = testing::error_ulps<W>(got[q], exact[q], M);
      worst[q] = std::fmax(worst[q], err);
      ++checked;
      if (!(err <= testing::bound_ulps(r.N, q)) && ++beyond <= 10)
        ADD_FAILURE() << type_name << " jet " << variant_name(r.variant) << " N=" << r.N << " eps=" << r.eps
                      << " x=" << r.x << " order " << q << ": got " << got[q] << ", exact " << exact[q] << " (" << err
                      << " ulp)";
    }
  }
  std::printf("Jet<%s, 2> on golden.csv: %d values (%d rows beyond the jet range), worst %.3f / %.3f / %.3f ulp "
              "(f / f' / f'')\n", type_name, checked, out_of_range, worst[0], worst[1], worst[2]);
  EXPECT_EQ(beyond, 0);
}

TEST(Jet, Binary64JetsMatchGoldenWithinSpecBounds) { check_jets_on_golden<double>("double"); }
TEST(Jet, Binary32JetsMatchGoldenWithinSpecBounds) { check_jets_on_golden<float>("float"); }

/// Jets against the closed forms at many points: |x| from 1e-6 s to 1e6 s (s = eps^(1/m), the
/// scale, where every digit matters), both signs, N = 1..8, several eps. The value is the same
/// formula (bit-identical); f' and f'' differ by less than the bounds of spec 3.4.
TEST(Jet, Binary64JetsMatchClosedForms) {
  double worst[3] = {0, 0, 0};
  int checked = 0;
  for (Variant v : {Variant::gem, Variant::egem, Variant::segem}) {
    for (int N = 1; N <= 8; ++N) {
      for (double eps : v == Variant::gem ? std::vector<double>{1.0} : std::vector<double>{1e-6, 1e-4, 0.3, 1.0, 10.0}) {
        const GemConstants<double> c = make_constants<double>(N, eps);
        const double s = std::pow(eps, 1.0 / (2 * N));
        for (double t = 1e-6; t < 1e6; t *= 1.0471285480508996) {  // 600 points per decade-span
          for (double x : {t * s, -t * s}) {
            const Derivs<double> ref = gem_derivs(v, x, c), jet = jet_derivs(v, x, c);
            for (int q = 0; q < 3; ++q) {
              const double M = testing::cancel_magnitude(v, N, eps, x, q, pick(ref, q));
              const double err = testing::error_ulps<double>(pick(jet, q), pick(ref, q), M);
              worst[q] = std::fmax(worst[q], err);
              ++checked;
              ASSERT_LE(err, q == 0 ? 0.0 : testing::bound_ulps(N, q))  // the value is the same formula << variant_name(v) << " N=" << N << " eps=" << eps << " x=" << x << " order "
                                        << q << ": jet " << pick(jet, q) << ", closed form " << pick(ref, q);
            }
          }
        }
      }
    }
  }
  std::printf("Jet<double, 2> vs gem_derivs: %d values, worst %.3f / %.3f / %.3f ulp (f / f' / f'')\n", checked,
              worst[0], worst[1], worst[2]);
}

// ---- Spec 2.3: smoothness at 0 -----------------------------------------------------------------

constexpr int kOrders = 34;  // 4N+2 for N = 8
using Jet34 = Jet<double, kOrders>;

/// The four one-sided jets at 0 of spec 2.3: E and SE from the left and from the right.
struct OneSided {
  Jet34 e_left, e_right, se_left, se_right;
};

OneSided one_sided_at_zero(int N, double eps) {
  const GemConstants<double> c = make_constants<double>(N, eps);
  const Jet34 x = Jet34::variable(0.0);
  // E = 0 on the left; SE = x on the right; the other sides are the rational branches, with
  // SE taken through its formula for a = -x > 0.
  return {Jet34(0.0), egem_value_positive(x, c), segem_value_negative(-x, c), x};
}

/// j! / eps^k, the size of the nonzero one-sided derivatives (inf if not representable).
double factorial_over_eps_power(int j, double eps, int k) {
  long double v = 1;
  for (int i = 2; i <= j; ++i) v *= i;
  for (int i = 0; i < k; ++i) v /= eps;
  return static_cast<double>(v);
}

/// Exactly equal when eps is a power of two (1/eps^k exact) and j! is exact in binary64
/// (j <= 22); else within 64 ulps: the jet rounds once per order of the series division and
/// once per factor of j!.
void expect_close(double got, double want, double eps, int j, const std::string& what) {
  int e2 = 0;
  if (std::frexp(eps, &e2) == 0.5 && j <= 22) {
    EXPECT_EQ(got, want) << what;
  } else {
    EXPECT_LE(std::fabs(got - want), 64 * std::ldexp(std::fabs(want), -52)) << what << ": got " << got << ", want " << want;
  }
}

const std::vector<double> kSmoothnessEps{1.0, 0.5, 0x1p-10, 1e-4, 1e-2, 0.3, 10.0, 3.0};

TEST(Jet, SmoothAtZeroUpToOrder2NAndJumpAtOrder2NPlus1) {
  for (int N = 1; N <= 8; ++N) {
    const int m = 2 * N;
    for (double eps : kSmoothnessEps) {
      const OneSided j = one_sided_at_zero(N, eps);
      const std::string at = "N=" + std::to_string(N) + " eps=" + std::to_string(eps);
      for (int order = 0; order <= m; ++order) {
        EXPECT_EQ(j.e_left.derivative(order), j.e_right.derivative(order)) << at << " E order " << order;
        EXPECT_EQ(j.se_left.derivative(order), j.se_right.derivative(order)) << at << " SE order " << order;
        // the common values: E all 0; SE 0, 1, then 0 (spec 2.3)
        EXPECT_EQ(j.e_right.derivative(order), 0.0) << at << " order " << order;
        EXPECT_EQ(j.se_left.derivative(order), order == 1 ? 1.0 : 0.0) << at << " order " << order;
      }
      const double jump = factorial_over_eps_power(m + 1, eps, 1);  // +(2N+1)!/eps
      expect_close(j.e_right.derivative(m + 1) - j.e_left.derivative(m + 1), jump, eps, m + 1, at + " E jump");
      expect_close(j.se_right.derivative(m + 1) - j.se_left.derivative(m + 1), jump, eps, m + 1, at + " SE jump");
    }
  }
  // GEM (eps = 1): the jump is (2N+1)!, e.g. 6 for N = 1 and 120 for N = 2.
  const OneSided g1 = one_sided_at_zero(1, 1.0), g2 = one_sided_at_zero(2, 1.0);
  EXPECT_EQ(g1.e_right.derivative(3), 6.0);
  EXPECT_EQ(g2.e_right.derivative(5), 120.0);
  // Spec 2.3's examples: N = 1, eps = 1e-4 jumps by 60000; N = 2 by 1.2e6.
  EXPECT_NEAR(one_sided_at_zero(1, 1e-4).e_right.derivative(3), 60000.0, 1e-9);
  EXPECT_NEAR(one_sided_at_zero(2, 1e-4).e_right.derivative(5), 1.2e6, 1e-7);
}

TEST(Jet, HigherOneSidedDerivativesAtZero) {
  int nonzero_checked = 0;
  for (int N = 1; N <= 8; ++N) {
    const int m = 2 * N;
    for (double eps : kSmoothnessEps) {
      const OneSided j = one_sided_at_zero(N, eps);
      for (int order = 0; order <= kOrders; ++order) {
        const std::string at = "N=" + std::to_string(N) + " eps=" + std::to_string(eps) + " order " + std::to_string(order);
        const bool series_term = order % m == 1;  // order = k m + 1
        const int k = order / m;
        if (!series_term) {
          EXPECT_EQ(j.e_right.derivative(order), 0.0) << at;
          EXPECT_EQ(j.se_left.derivative(order), 0.0) << at;
          continue;
        }
        // E^(km+1)(0+) = (-1)^(k-1) (km+1)!/eps^k (k >= 1); SE^(km+1)(0-) = (-1)^k (km+1)!/eps^k.
        const double size = factorial_over_eps_power(order, eps, k);
        if (!(size < 1e300 && size > 1e-300)) continue;  // not representable in binary64
        const double e_want = k == 0 ? 0.0 : (k % 2 == 1 ? size : -size);
        const double se_want = k % 2 == 0 ? size : -size;
        expect_close(j.e_right.derivative(order), e_want, eps, order, at + " E(0+)");
        expect_close(j.se_left.derivative(order), se_want, eps, order, at + " SE(0-)");
        nonzero_checked += k >= 1;
      }
    }
  }
  EXPECT_GT(nonzero_checked, 100);
}

// ---- Jets at generic points against central differences ---------------------------------------

using JetL = Jet<long double, 5>;

/// Derivative of order k (1..5) from central differences of the order k-1 jet derivative, in
/// long double, with one Richardson step (error O(h^4)).
long double central_difference(Variant v, long double x, long double h, int k, const GemConstants<long double>& c) {
  auto d = [&](long double at) { return gem_value(v, JetL::variable(at), c).derivative(k - 1); };
  const long double coarse = (d(x + h) - d(x - h)) / (2 * h);
  const long double fine = (d(x + h / 2) - d(x - h / 2)) / h;
  return (4 * fine - coarse) / 3;
}

TEST(Jet, DerivativesUpToOrder5MatchCentralDifferences) {
  double worst = 0;
  int checked = 0;
  for (Variant v : {Variant::gem, Variant::egem, Variant::segem}) {
    for (int N = 1; N <= 8; ++N) {
      for (double eps : v == Variant::gem ? std::vector<double>{1.0} : std::vector<double>{1e-4, 0.3, 10.0}) {
        const GemConstants<long double> c = make_constants<long double>(N, eps);
        const long double s = std::pow(static_cast<long double>(eps), 1.0L / (2 * N));
        for (long double t : {0.05L, 0.3L, 0.77L, 1.0L, 1.3L, 2.9L, 17.0L}) {
          for (long double x : {t * s, -t * s}) {
            const long double h = 1e-4L * std::fabs(x);  // stays on one side of 0
            const JetL j = gem_value(v, JetL::variable(x), c);
            for (int k = 1; k <= 5; ++k) {
              // Size of the terms at this order: derivatives scale like |x|^-k next to f.
              long double scale = 0;
              for (int i = 0; i <= k; ++i) scale += std::fabs(j.derivative(i)) * std::pow(std::fabs(x), i - k);
              const long double diff = central_difference(v, x, h, k, c);
              if (scale == 0) {  // E on x < 0: identically 0
                EXPECT_EQ(diff, 0.0L);
                EXPECT_EQ(j.derivative(k), 0.0L);
                continue;
              }
              const double rel = static_cast<double>(std::fabs(diff - j.derivative(k)) / scale);
              worst = std::fmax(worst, rel);
              ++checked;
              EXPECT_LE(rel, 1e-10) << variant_name(v) << " N=" << N << " eps=" << eps << " x=" << double(x) << " order "
                                   << k << ": jet " << double(j.derivative(k)) << ", differences " << double(diff);
            }
          }
        }
      }
    }
  }
  std::printf("Jet<long double, 5> vs central differences: %d values, worst relative %.3g\n", checked, worst);
}

}  // namespace
}  // namespace gem
