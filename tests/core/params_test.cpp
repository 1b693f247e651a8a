// Spec 4: every invalid (N, eps) is refused with the spec's exact message; subnormal eps are
// valid; and the reduced constants of spec 3.2 (make_constants) hold their invariants for eps
// across the whole binary64 range and N = 1..8.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "gem/act/gem_constants.h"
#include "gem/params.h"
#include "common/error_of.h"

namespace gem {
namespace {

using testing::error_of;
using testing::kNoError;

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

TEST(Params, OrderOutsideOneToEightIsRefusedWithSpecMessage) {
  const struct {
    double n;
    const char* shown;
  } cases[] = {{0, "0"}, {-1, "-1"}, {9, "9"}, {2.5, "2.5"}, {16, "16"}, {kNan, "nan"}, {kInf, "inf"}, {-kInf, "-inf"}};
  for (const auto& c : cases)
    EXPECT_EQ(error_of<std::invalid_argument>([&] { validate_order(c.n); }),
              std::string("GEM order N must be an integer in [1, 8], got ") + c.shown);
  EXPECT_EQ(error_of<std::invalid_argument>([] { make_gem(9); }), "GEM order N must be an integer in [1, 8], got 9");
  EXPECT_EQ(error_of<std::invalid_argument>([] { make_egem(0, 1e-4); }),
            "GEM order N must be an integer in [1, 8], got 0");
  EXPECT_EQ(error_of<std::invalid_argument>([] { make_segem(-1, 1e-4); }),
            "GEM order N must be an integer in [1, 8], got -1");
  // N is checked first: with both wrong, the message is about N.
  EXPECT_EQ(error_of<std::invalid_argument>([] { make_egem(9, kNan); }),
            "GEM order N must be an integer in [1, 8], got 9");
  for (int N = 1; N <= 8; ++N) {
    EXPECT_EQ(error_of<std::invalid_argument>([&] { validate_order(N); }), kNoError);
    EXPECT_EQ(error_of<std::invalid_argument>([&] { make_gem(N); }), kNoError);
  }
}

TEST(Params, EpsNotFinitePositiveIsRefusedWithSpecMessage) {
  const struct {
    double eps;
    const char* shown;
  } cases[] = {{0.0, "0"}, {-0.0, "-0"}, {-1.0, "-1"}, {-1e-4, "-1e-4"}, {-DBL_MIN, "-2.2250738585072014e-308"},
               {kInf, "inf"}, {-kInf, "-inf"}, {kNan, "nan"}};
  for (const auto& c : cases) {
    EXPECT_EQ(error_of<std::invalid_argument>([&] { make_egem(2, c.eps); }),
              std::string("E-GEM eps must be finite and > 0, got ") + c.shown);
    EXPECT_EQ(error_of<std::invalid_argument>([&] { make_segem(2, c.eps); }),
              std::string("SE-GEM eps must be finite and > 0, got ") + c.shown);
    EXPECT_EQ(error_of<std::invalid_argument>([&] { validate_eps(Variant::egem, c.eps); }),
              std::string("E-GEM eps must be finite and > 0, got ") + c.shown);
  }
}

TEST(Params, GemWithAnEpsPointsToEgem) {
  EXPECT_EQ(error_of<std::invalid_argument>([] { make_params(Variant::gem, 2, 0.5); }),
            "GEM has no eps (it is fixed at 1), got eps=0.5; use egem:N=2,eps=0.5 for a GEM with another eps");
  EXPECT_EQ(error_of<std::invalid_argument>([] {
              validate(Params{Variant::gem, 1, 1e-4});
            }),
            "GEM has no eps (it is fixed at 1), got eps=1e-4; use egem:N=1,eps=1e-4 for a GEM with another eps");
  EXPECT_EQ(error_of<std::invalid_argument>([] { make_params(Variant::gem, 3, 1.0); }), kNoError);
  EXPECT_EQ(make_gem(3), (Params{Variant::gem, 3, 1.0}));
}

TEST(Params, SubnormalAndExtremeEpsAreValid) {
  for (double eps : {std::numeric_limits<double>::denorm_min(), 0x1p-1060, DBL_MIN, 1e-300, 1e300, DBL_MAX}) {
    for (int N = 1; N <= 8; ++N) {
      EXPECT_EQ(error_of<std::invalid_argument>([&] { make_egem(N, eps); }), kNoError) << eps;
      EXPECT_EQ(error_of<std::invalid_argument>([&] { make_segem(N, eps); }), kNoError) << eps;
    }
  }
  EXPECT_EQ(make_egem(4, 1e-4), (Params{Variant::egem, 4, 1e-4}));
}

/// eps over the whole binary64 range: three significands in every binade (subnormals
/// included), and the extremes.
std::vector<double> eps_sweep() {
  std::vector<double> v{std::numeric_limits<double>::denorm_min(), DBL_MIN, DBL_MAX, 1e-4, 1.0};
  for (int k = -1074; k <= 1023; ++k)
    for (double sig : {1.0, 1.3183098861837907, 1.9999999999999998}) v.push_back(std::ldexp(sig, k));
  return v;
}

/// |exact - rounded| <= ulp(rounded)/2, with exact = a/b or a*b known through its residual.
double half_ulp(double v) { return std::ldexp(1.0, std::ilogb(v) - 53); }

TEST(Params, ConstantsHoldSpec32InvariantsOverTheBinary64Range) {
  int checked = 0;
  for (double eps : eps_sweep()) {
    for (int N = 1; N <= 8; ++N) {
      const int m = 2 * N;
      const GemConstants<double> c = make_constants<double>(N, eps);
      SCOPED_TRACE("N=" + std::to_string(N) + " eps=" + std::to_string(eps) + " (" + std::to_string(std::ilogb(eps)) + ")");
      ASSERT_EQ(c.n, N);
      // S = 2^j with j = floor(ilogb(eps)/m), a true floor.
      int exp2 = 0;
      ASSERT_EQ(std::frexp(c.inv_s, &exp2), 0.5) << "1/S must be a power of two";
      const int j = 1 - exp2;  // inv_s = 2^-j
      ASSERT_LE(m * j, std::ilogb(eps));
      ASSERT_GT(m * (j + 1), std::ilogb(eps));
      // e = eps/S^m in [1, 2^m), exact; C2 = e S^2, exact.
      ASSERT_GE(c.e, 1.0);
      ASSERT_LT(c.e, std::ldexp(1.0, m));
      ASSERT_EQ(std::ldexp(c.e, m * j), eps) << "e must be eps/S^m exactly";
      ASSERT_EQ(c.c2, std::ldexp(c.e, 2 * j));
      ASSERT_EQ(c.c2, std::ldexp(eps, -(m - 2) * j));
      // me = m e and kd = m/(e S), each rounded once: the residual (exact by fma) is at most
      // half an ulp of the result (times the divisor for the quotient).
      ASSERT_LE(std::fabs(std::fma(double(m), c.e, -c.me)), half_ulp(c.me));
      const double es = std::ldexp(c.e, j);
      ASSERT_LE(std::fabs(std::fma(c.kd, es, -double(m))), half_ulp(c.kd) * es);
      ++checked;
    }
  }
  EXPECT_GT(checked, 8 * 3 * 2098);
}

TEST(Params, Binary32ConstantsAreTheRoundedBinary64Ones) {
  EXPECT_TRUE(eps_fits_binary32(FLT_MIN));
  EXPECT_FALSE(eps_fits_binary32(std::nextafter(double(FLT_MIN), 0.0)));
  EXPECT_TRUE(eps_fits_binary32(FLT_MAX));
  EXPECT_FALSE(eps_fits_binary32(std::nextafter(double(FLT_MAX), kInf)));
  std::vector<double> sweep = eps_sweep();
  for (double eps : eps_sweep()) sweep.push_back(double(float(eps)));  // and as binary32 holds them
  int exact = 0;
  for (double eps : sweep) {
    if (!eps_fits_binary32(eps)) continue;
    exact += double(float(eps)) == eps;
    for (int N = 1; N <= 8; ++N) {
      const GemConstants<double> d = make_constants<double>(N, eps);
      const GemConstants<float> f = make_constants<float>(N, eps);
      ASSERT_EQ(f.inv_s, static_cast<float>(d.inv_s));
      ASSERT_EQ(f.e, static_cast<float>(d.e));
      ASSERT_EQ(f.me, static_cast<float>(d.me));
      ASSERT_EQ(f.kd, static_cast<float>(d.kd));
      ASSERT_EQ(f.c2, static_cast<float>(d.c2));
      // In range the constants stay normal binary32 numbers (full precision), and e S^m is
      // exactly eps as binary32 holds it. For an eps that binary32 cannot hold, e may round
      // up to 2^m (eps = 1.9999999999999998 * 2^k): harmless, e S^m is still (float)eps.
      for (float v : {f.inv_s, f.e, f.me, f.kd, f.c2}) ASSERT_TRUE(std::isnormal(v)) << "N=" << N << " eps=" << eps;
      int exp2 = 0;
      std::frexp(f.inv_s, &exp2);
      ASSERT_EQ(std::ldexp(double(f.e), 2 * N * (1 - exp2)), double(float(eps))) << "N=" << N << " eps=" << eps;
      ASSERT_GE(f.e, 1.0f);
      ASSERT_LE(f.e, std::ldexp(1.0f, 2 * N));
      if (double(float(eps)) == eps) {
        ASSERT_LT(f.e, std::ldexp(1.0f, 2 * N)) << "N=" << N << " eps=" << eps;
      }
    }
  }
  EXPECT_GT(exact, 3 * 254);
}

}  // namespace
}  // namespace gem
