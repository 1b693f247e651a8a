// Scaled jets (scaled_jet.h) and gem_derivative (gem/act/gem_derivative.h):
//  - polynomials give their derivatives exactly, with any power-of-two step;
//  - values far outside binary64 (2^4000) pass through a formula without overflow, and compare
//    exactly;
//  - gem_derivative agrees with plain jets where those work, and with gem_derivs for k <= 2;
//  - at 0 it takes the formulas' branch side, and the special values.
// Exact rational values over the whole range are python/tests/test_derivative.py.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gem/act/gem.h"
#include "gem/act/gem_derivative.h"
#include "gem/jet.h"
#include "gem/scaled_jet.h"

namespace gem {
namespace {

using J = ScaledJet<double, 6>;

TEST(ScaledJet, PolynomialsAreExactForAnyStep) {
  for (const int step : {-3, 0, 1, 5}) {
    const J x = J::variable(3.0, step);
    const J y = x * x * x * x * x;  // x^5 at 3: 243, 405, 540, 540, 360, 120, 0
    const double want[] = {243, 405, 540, 540, 360, 120, 0};
    for (int k = 0; k <= 6; ++k) EXPECT_EQ(y.derivative(k, step), want[k]) << "step 2^" << step << ", k " << k;
  }
}

TEST(ScaledJet, ValuesBeyondTheFormatPassThroughAFormula) {
  // x^40 / x^39 at x = 2^100: the intermediate is 2^4000, the result x itself.
  const J x = J::variable(std::ldexp(1.0, 100), 100);
  J p = x;
  for (int i = 1; i < 39; ++i) p = p * x;  // x^39
  const J y = (p * x) / p;
  EXPECT_EQ(y.derivative(0, 100), std::ldexp(1.0, 100));
  EXPECT_EQ(y.derivative(1, 100), 1.0);
  EXPECT_EQ(y.derivative(2, 100), 0.0);
  // Plain jets overflow on the same formula.
  using P = Jet<double, 2>;
  const P px = P::variable(std::ldexp(1.0, 100));
  P pp = px;
  for (int i = 1; i < 39; ++i) pp = pp * px;
  EXPECT_TRUE(std::isnan(((pp * px) / pp).derivative(1)));
}

TEST(ScaledJet, ComparesValuesExactlyWithoutFormingThem) {
  const J big = J::variable(std::ldexp(1.0, 600), 0) * J::variable(std::ldexp(1.0, 600), 0);  // 2^1200
  EXPECT_TRUE(big > J(std::numeric_limits<double>::max()));
  EXPECT_TRUE(-big < J(-1.0));
  EXPECT_TRUE(big >= big && big <= big && !(big < big));
  const J a = J(1.5), b = J(1.5 + 0x1p-52);
  EXPECT_TRUE(a < b && b > a && !(a >= b));
  const J nan = J(std::numeric_limits<double>::quiet_NaN());
  EXPECT_FALSE(nan < a || nan >= a || a <= nan);
}

TEST(GemDerivative, AgreesWithPlainJetsWhereTheyWorkAndWithTheClosedForms) {
  for (const Variant v : {Variant::egem, Variant::segem}) {
    for (const int n : {1, 2, 4}) {
      const GemConstants<double> c = make_constants<double>(n, 0.01);
      for (double x = -3.1; x < 3.2; x += 0.173) {
        const Jet<double, 6> j = gem_value(v, Jet<double, 6>::variable(x), c);
        for (int k = 3; k <= 6; ++k) {
          const double want = j.derivative(k), got = gem_derivative(v, k, x, c);
          EXPECT_NEAR(got, want, 1e-11 * (std::fabs(want) + 1)) << variant_name(v) << " N=" << n << " x=" << x;
        }
        const Derivs<double> d = gem_derivs(v, x, c);
        EXPECT_EQ(gem_derivative(v, 0, x, c), d.f);
        EXPECT_EQ(gem_derivative(v, 1, x, c), d.df);
        EXPECT_EQ(gem_derivative(v, 2, x, c), d.d2f);
      }
    }
  }
}

TEST(GemDerivative, ZeroAndSpecialValues) {
  const GemConstants<double> c = make_constants<double>(2, 0.01);
  for (int k = 3; k <= 8; ++k) {
    EXPECT_EQ(gem_derivative(Variant::egem, k, 0.0, c), 0.0);   // from the left
    EXPECT_EQ(gem_derivative(Variant::segem, k, 0.0, c), 0.0);  // from the right
    EXPECT_EQ(gem_derivative(Variant::egem, k, INFINITY, c), 0.0);
    EXPECT_EQ(gem_derivative(Variant::segem, k, -INFINITY, c), 0.0);
    EXPECT_TRUE(std::isnan(gem_derivative(Variant::egem, k, NAN, c)));
  }
  // The jump of order 2N+1 = 5, approached from the open side: 5!/eps.
  EXPECT_NEAR(gem_derivative(Variant::egem, 5, 1e-9, c), 120 / 0.01, 1e-6);
  EXPECT_NEAR(gem_derivative(Variant::segem, 5, -1e-9, c), -120 / 0.01, 1e-6);
}

}  // namespace
}  // namespace gem
