// Spec 3.3: NaN, +-inf, +-0 and the signs of zero, exactly, for every variant, N = 1..8,
// several eps, binary64 and binary32, through the reference algorithm (gem.h: gem_derivs,
// gem_f/gem_grad/gem_grad2, gem_value) and the lane forms (gem_lanes.h: f and f').
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/lane_eval.h"
#include "gem/act/gem.h"

namespace gem {
namespace {

/// One row of the table of spec 3.3. f is compared with its sign (std::signbit, also for
/// zeros); derivatives that are zero are compared with == (either sign is allowed).
struct Expected {
  double x, f, df, d2f;
};

template <class W>
std::vector<Expected> table(Variant v) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = INFINITY;
  const double max = std::numeric_limits<W>::max(), tiny = std::numeric_limits<W>::denorm_min();
  if (v == Variant::segem) {
    return {{nan, nan, nan, nan}, {inf, inf, 1, 0}, {-inf, -0.0, 0, 0}, {0.0, 0.0, 1, 0}, {-0.0, -0.0, 1, 0},
            // the identity branch, exactly: f = x, f' = 1, f'' = 0
            {tiny, tiny, 1, 0}, {1.5, 1.5, 1, 0}, {max, max, 1, 0}};
  }
  return {{nan, nan, nan, nan}, {inf, inf, 1, 0}, {-inf, 0.0, 0, 0}, {0.0, 0.0, 0, 0}, {-0.0, 0.0, 0, 0},
          // x < 0: +0, 0, 0
          {-tiny, 0.0, 0, 0}, {-1.5, 0.0, 0, 0}, {-max, 0.0, 0, 0}};
}

template <class W>
std::vector<double> eps_values() {
  if (sizeof(W) == sizeof(float)) return {0x1p-126, 1e-6, 1e-4, 1e-2, 1.0, 10.0, 1e30, FLT_MAX};
  return {0x1p-1074, 1e-300, 1e-6, 1e-4, 1e-2, 1.0, 10.0, 1e300, DBL_MAX};
}

bool same_with_sign(double got, double want) {
  if (std::isnan(want)) return std::isnan(got);
  return got == want && std::signbit(got) == std::signbit(want);
}
bool same_value(double got, double want) { return std::isnan(want) ? std::isnan(got) : got == want; }

std::string where(const char* path, Variant v, int N, double eps, double x) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s %s N=%d eps=%g x=%g", path, variant_name(v), N, eps, x);
  return buf;
}

template <class W>
void check_table(const char* type_name) {
  int checked = 0;
  for (Variant v : {Variant::gem, Variant::egem, Variant::segem}) {
    for (int N = 1; N <= 8; ++N) {
      for (double eps : v == Variant::gem ? std::vector<double>{1.0} : eps_values<W>()) {
        const GemConstants<W> c = make_constants<W>(N, eps);
        for (const Expected& e : table<W>(v)) {
          const W x = static_cast<W>(e.x);
          const Derivs<W> d = gem_derivs(v, x, c);
          const std::string at = where(type_name, v, N, eps, e.x);
          EXPECT_TRUE(same_with_sign(d.f, e.f)) << at << ": gem_derivs f = " << d.f;
          EXPECT_TRUE(same_value(d.df, e.df)) << at << ": gem_derivs f' = " << d.df;
          EXPECT_TRUE(same_value(d.d2f, e.d2f)) << at << ": gem_derivs f'' = " << d.d2f;
          EXPECT_TRUE(same_with_sign(gem_f(v, x, c), e.f)) << at << ": gem_f";
          EXPECT_TRUE(same_value(gem_grad(v, x, c), e.df)) << at << ": gem_grad";
          EXPECT_TRUE(same_value(gem_grad2(v, x, c), e.d2f)) << at << ": gem_grad2";
          EXPECT_TRUE(same_with_sign(gem_value(v, x, c), e.f)) << at << ": gem_value";
          const testing::LaneValues<W> l = testing::lane_values(v, x, c);
          EXPECT_TRUE(same_with_sign(l.f, e.f)) << at << ": lanes f = " << l.f;
          EXPECT_TRUE(same_value(l.df, e.df)) << at << ": lanes f' = " << l.df;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 800);
}

TEST(SpecialValues, Binary64TableOfSpec33) { check_table<double>("binary64"); }
TEST(SpecialValues, Binary32TableOfSpec33) { check_table<float>("binary32"); }

/// "A nonzero result that underflows keeps its sign": over x from the smallest subnormal to
/// max, E-GEM's f is never negative (+0 when it underflows) and SE-GEM's f at x < 0 always
/// carries the minus sign (-0 when it underflows, e.g. eps x^(1-m) at x = -max).
template <class W>
void check_signs_of_underflow() {
  int underflows = 0;
  for (int N = 1; N <= 8; ++N) {
    for (double eps : eps_values<W>()) {
      const GemConstants<W> c = make_constants<W>(N, eps);
      for (W a = std::numeric_limits<W>::denorm_min(); a < std::numeric_limits<W>::infinity(); a *= W(7.5)) {
        const std::string at = where(sizeof(W) == 4 ? "binary32" : "binary64", Variant::segem, N, eps, a) + " (and E at +a)";
        const W e = gem_derivs(Variant::egem, a, c).f, se = gem_derivs(Variant::segem, -a, c).f;
        const W le = testing::lane_values(Variant::egem, a, c).f, lse = testing::lane_values(Variant::segem, -a, c).f;
        EXPECT_FALSE(std::signbit(e) || std::signbit(le)) << at << ": E = " << e << ", lanes " << le;
        EXPECT_TRUE(std::signbit(se) && std::signbit(lse)) << at << ": SE(-a) = " << se << ", lanes " << lse;
        EXPECT_TRUE(e >= 0 && se <= 0 && le >= 0 && lse <= 0) << at;
        underflows += (e == 0) + (se == 0);
      }
    }
  }
  EXPECT_GT(underflows, 0);  // the sweep does reach underflowing results
}

TEST(SpecialValues, Binary64UnderflowKeepsSign) { check_signs_of_underflow<double>(); }
TEST(SpecialValues, Binary32UnderflowKeepsSign) { check_signs_of_underflow<float>(); }

/// Spec 2.3: the values at 0 that kernels use are the two-sided ones, E'(0) = 0, SE'(0) = 1,
/// f''(0) = 0 (the one-sided limits of orders 1..2N agree; jet_test checks them).
TEST(SpecialValues, ValuesAtZeroAreTheTwoSidedOnesOfSpec23) {
  for (int N = 1; N <= 8; ++N) {
    const GemConstants<double> c = make_constants<double>(N, 1e-4);
    EXPECT_EQ(gem_derivs(Variant::egem, 0.0, c).df, 0.0);
    EXPECT_EQ(gem_derivs(Variant::segem, 0.0, c).df, 1.0);
    EXPECT_EQ(gem_derivs(Variant::egem, 0.0, c).d2f, 0.0);
    EXPECT_EQ(gem_derivs(Variant::segem, 0.0, c).d2f, 0.0);
  }
}

}  // namespace
}  // namespace gem
