// include/gem/act/gem_eps_grad.h: df/deps, d2f/(dx deps), d2f/deps2 against values derived from
// the golden rows (exact f, f'' at the same x), against central differences of the closed forms
// in long double, special values, and the exact power-of-two scale invariance that gives the
// header its range. The header is core (no Torch); its test lives here beside its only user.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <vector>

#include "common/golden.h"
#include "core/lane_eval.h"
#include "gem/act/gem_constants.h"
#include "gem/act/gem_eps_grad.h"

namespace gem {
namespace {

using testing::GoldenRow;

struct Expected {
  long double df_deps, d2f_dx_deps, d2f_deps2;
  double m_dx_deps;  // size of the cancelling terms of d2f/(dx deps) (as for f'', spec 3.4)
};

// From the Euler identity x f' = f - m eps df/deps and its derivatives (see the header):
//   E:  df/deps = -f/(eps (1+r)),   d2f/deps2 = 2 f/(eps^2 (1+r)^2)
//   SE: df/deps = r f/(eps (1+r)),  d2f/deps2 = -2 r f/(eps^2 (1+r)^2)     (E(a) = -r SE(-a))
//   both: d2f/(dx deps) = -x f''/(m eps)
// with golden f, f'' (exact, rounded once) and r = |x|^m/eps in long double (range 2^+-16382).
Expected expected_from_golden(const GoldenRow& g) {
  const long double x = g.x, eps = g.eps, m = 2 * g.N;
  const long double a = std::fabs(x);
  long double am = 1;
  for (int i = 0; i < 2 * g.N; ++i) am *= a;
  const long double r = am / eps;
  Expected e{};
  e.d2f_dx_deps = -x * static_cast<long double>(g.d2f) / (m * eps);
  const double m2 = testing::cancel_magnitude(g.variant, g.N, g.eps, g.x, 2, g.d2f);
  e.m_dx_deps = static_cast<double>(a * m2 / (m * eps));
  if (g.variant == Variant::segem) {
    e.df_deps = r * g.f / (eps * (1 + r));
    e.d2f_deps2 = -2 * r * g.f / (eps * eps * (1 + r) * (1 + r));
  } else {
    e.df_deps = -g.f / (eps * (1 + r));
    e.d2f_deps2 = 2 * static_cast<long double>(g.f) / (eps * eps * (1 + r) * (1 + r));
  }
  return e;
}

bool depends_on_eps(const GoldenRow& g) { return g.variant == Variant::segem ? g.x < 0 : g.x > 0; }

// Golden values that underflowed to a subnormal or zero carry too few digits to derive from.
bool full_precision(double golden) { return std::fabs(golden) >= DBL_MIN; }

template <class W>
void expect_close(double got, long double exact, double magnitude, double bound, const GoldenRow& g, const char* what,
                  double& worst) {
  const double max = std::numeric_limits<W>::max();
  if (std::fabs(exact) > max * (1 + std::numeric_limits<W>::epsilon() / 2)) {
    EXPECT_TRUE(std::isinf(got) && std::signbit(got) == std::signbit(static_cast<double>(exact)))
        << what << " should overflow: N=" << g.N << " eps=" << g.eps << " x=" << g.x << " got " << got;
    return;
  }
  const double ulps = testing::error_ulps<W>(got, static_cast<double>(exact),
                                             std::fmax(magnitude, std::fabs(static_cast<double>(exact))));
  worst = std::fmax(worst, ulps);
  EXPECT_LE(ulps, bound) << what << " " << variant_name(g.variant) << " N=" << g.N << " eps=" << g.eps << " x=" << g.x
                         << " got " << got << " expected " << static_cast<double>(exact);
}

template <class W>
void check_golden(bool float_rows_only) {
  const std::vector<GoldenRow> rows = testing::load_golden();
  ASSERT_EQ(rows.size(), 5170u);
  double worst[3] = {0, 0, 0};
  int checked = 0;
  for (const GoldenRow& g : rows) {
    if (float_rows_only && static_cast<double>(static_cast<float>(g.x)) != g.x) continue;
    const EpsGradConstants<W> c = make_eps_grad_constants<W>(g.N, g.eps);
    const EpsDerivs<W> d = gem_eps_derivs(g.variant, static_cast<W>(g.x), c);
    if (!depends_on_eps(g)) {
      EXPECT_EQ(d.df_deps, W(0));
      EXPECT_EQ(d.d2f_dx_deps, W(0));
      EXPECT_EQ(d.d2f_deps2, W(0));
      continue;
    }
    const Expected e = expected_from_golden(g);
    const double b1 = 2 * g.N + 6, b2 = 4 * g.N + 12;
    if (full_precision(g.f)) {
      expect_close<W>(d.df_deps, e.df_deps, 0.0, b1, g, "df/deps", worst[0]);
      expect_close<W>(d.d2f_deps2, e.d2f_deps2, 0.0, b1, g, "d2f/deps2", worst[2]);
      ++checked;
    }
    if (full_precision(g.d2f))
      expect_close<W>(d.d2f_dx_deps, e.d2f_dx_deps, e.m_dx_deps, b2, g, "d2f/(dx deps)", worst[1]);
  }
  EXPECT_GT(checked, float_rows_only ? 1500 : 2000);
  std::printf("worst ulps over %d rows: df/deps %.2f, d2f/(dx deps) %.2f, d2f/deps2 %.2f\n", checked, worst[0],
              worst[1], worst[2]);
}

TEST(GemEpsGrad, MatchesGoldenDerivedValuesInDouble) { check_golden<double>(false); }
TEST(GemEpsGrad, MatchesGoldenDerivedValuesInFloat) { check_golden<float>(true); }

// The lane form of df/deps (gem_eps_lanes.h, what the SIMD and CUDA kernels run) within the same
// bound, 2N+6 ulps, on every golden row its format holds (binary32: eps in binary32's normal
// range, as the float kernels fall back to binary64 outside it).
template <class W>
void check_lanes_golden(bool float_rows_only) {
  double worst = 0;
  int checked = 0;
  for (const GoldenRow& g : testing::load_golden()) {
    if (float_rows_only && (static_cast<double>(static_cast<float>(g.x)) != g.x || !eps_fits_binary32(g.eps))) continue;
    const W got = testing::lane_eps_grad<W>(g.variant, static_cast<W>(g.x), g.N, g.eps);
    if (!depends_on_eps(g)) {
      EXPECT_EQ(got, W(0)) << variant_name(g.variant) << " x=" << g.x;
      continue;
    }
    if (!full_precision(g.f)) continue;
    expect_close<W>(got, expected_from_golden(g).df_deps, 0.0, 2 * g.N + 6, g, "lane df/deps", worst);
    ++checked;
  }
  EXPECT_GT(checked, float_rows_only ? 1500 : 2000);
  std::printf("lane df/deps: worst %.2f ulps over %d rows\n", worst, checked);
}

TEST(GemEpsGrad, LaneFormMatchesGoldenDerivedValuesInDouble) { check_lanes_golden<double>(false); }
TEST(GemEpsGrad, LaneFormMatchesGoldenDerivedValuesInFloat) { check_lanes_golden<float>(true); }

TEST(GemEpsGrad, LaneFormSpecialValues) {
  for (int N = 1; N <= 8; ++N) {
    const float e_inf = testing::lane_eps_grad<float>(Variant::egem, INFINITY, N, 1e-4);
    EXPECT_EQ(e_inf, 0.0f);
    EXPECT_TRUE(std::signbit(e_inf));
    EXPECT_EQ(testing::lane_eps_grad<float>(Variant::segem, -INFINITY, N, 1e-4), 0.0f);
    for (Variant v : {Variant::gem, Variant::egem, Variant::segem}) {
      EXPECT_TRUE(std::isnan(testing::lane_eps_grad<double>(v, NAN, N, 0.3)));
      EXPECT_EQ(testing::lane_eps_grad<double>(v, 0.0, N, 0.3), 0.0);
    }
    EXPECT_EQ(testing::lane_eps_grad<double>(Variant::egem, -2.5, N, 0.3), 0.0);
    EXPECT_EQ(testing::lane_eps_grad<double>(Variant::segem, 2.5, N, 0.3), 0.0);
  }
  // Far out (D^2 would overflow binary32): outside the lane range, so flagged for the scalar
  // algorithm, which gives -a^(1-m) = -1/a for N = 1; well inside it, not flagged.
  EXPECT_FLOAT_EQ(testing::lane_eps_grad<float>(Variant::egem, 1e30f, 1, 1.0), -1e-30f);
  EXPECT_TRUE(testing::lane_eps_grad_raw<float>(Variant::egem, 1e30f, 1, 1.0).exact);
  EXPECT_FALSE(testing::lane_eps_grad_raw<float>(Variant::egem, 3.0f, 1, 1.0).exact);
  EXPECT_FALSE(testing::lane_eps_grad_raw<float>(Variant::segem, -1e-3f, 2, 1e-4).exact);
  // The range for binary32, N = 1, eps = 1e-4: D^2 <= 2^124 needs |x| <= about 2^24, and w
  // normal with a factor 2 to spare needs |x| >= about 2^-45.
  const EpsScale<float> r = make_eps_scale<float>(1, 1e-4);
  EXPECT_GE(r.a_max, 0x1p23f);
  EXPECT_LE(r.a_max, 0x1p25f);
  EXPECT_GT(r.a_min, 0x1p-47f);
  EXPECT_LT(r.a_min, 0x1p-45f);
}

// Central differences in eps of the closed forms of spec 2.1, in long double. With
// P = x x^m/(eps + x^m) and Q = x eps/(eps + x^m) (P + Q = x), E = P and SE = Q; differencing the
// smaller of P and Q (dQ/deps = -dP/deps) avoids differencing a value that is nearly x.
struct Parts {
  long double p, q, dp, dq;  // P, Q and their x-derivatives (dP/dx + dQ/dx = 1)
};
Parts parts(int N, long double eps, long double x) {
  const long double m = 2 * N;
  long double xm = 1;
  for (int i = 0; i < 2 * N; ++i) xm *= x;
  const long double d = eps + xm;
  return {x * xm / d, x * eps / d, xm * ((m + 1) * eps + xm) / (d * d), eps * (eps - (m - 1) * xm) / (d * d)};
}

TEST(GemEpsGrad, MatchesCentralDifferencesInEps) {
  const double xs[] = {-1000, -30,   -3.7, -1.1, -0.6, -0.13, -0.021, -0.004,
                       0.004, 0.021, 0.13, 0.6,  1.1,  3.7,   30,     1000};
  for (Variant v : {Variant::egem, Variant::segem})
    for (int N = 1; N <= 8; ++N)
      for (double eps : {1e-6, 1e-4, 1e-2, 0.3, 1.0, 10.0})
        for (double x : xs) {
          if ((v == Variant::egem) != (x > 0)) continue;  // the side that depends on eps
          const EpsDerivs<double> d = gem_eps_derivs(v, x, make_eps_grad_constants<double>(N, eps));
          long double xm = 1;
          for (int i = 0; i < 2 * N; ++i) xm *= x;
          const bool inner = xm < eps;  // P is the smaller part
          auto diff1 = [&](long double h, bool grad) {
            const Parts hi = parts(N, eps + h, x), lo = parts(N, eps - h, x);
            const long double dp = grad ? (inner ? hi.dp - lo.dp : lo.dq - hi.dq) : (inner ? hi.p - lo.p : lo.q - hi.q);
            return dp / (2 * h);  // d/deps of P (or of dP/dx)
          };
          const long double h2 = eps * 1e-4L;
          const Parts hi = parts(N, eps + h2, x), mid = parts(N, eps, x), lo = parts(N, eps - h2, x);
          const long double dpp =
              inner ? (hi.p - 2 * mid.p + lo.p) / (h2 * h2) : -(hi.q - 2 * mid.q + lo.q) / (h2 * h2);
          const long double sign = v == Variant::egem ? 1 : -1;  // SE = Q: its eps-derivatives are -P's
          const long double fd1 = sign * diff1(eps * 1e-6L, false), fdx = sign * diff1(eps * 1e-6L, true),
                            fd2 = sign * dpp;
          auto near = [](double got, long double fd, double tol) {
            return std::fabs(got - static_cast<double>(fd)) <= tol * std::fabs(static_cast<double>(fd));
          };
          EXPECT_TRUE(near(d.df_deps, fd1, 1e-8)) << variant_name(v) << " N=" << N << " eps=" << eps << " x=" << x
                                                  << " got " << d.df_deps << " fd " << (double)fd1;
          EXPECT_TRUE(near(d.d2f_dx_deps, fdx, 1e-8)) << variant_name(v) << " N=" << N << " eps=" << eps << " x=" << x
                                                      << " got " << d.d2f_dx_deps << " fd " << (double)fdx;
          // A second difference only resolves d2f/deps2 where the gate is open partway
          // (1e-3 <= r <= 1e3); the tails are covered by the golden-derived values.
          const long double r = xm / eps;
          if (r >= 1e-3L && r <= 1e3L) {
            EXPECT_TRUE(near(d.d2f_deps2, fd2, 1e-5)) << variant_name(v) << " N=" << N << " eps=" << eps << " x=" << x
                                                      << " got " << d.d2f_deps2 << " fd " << (double)fd2;
          }
        }
}

TEST(GemEpsGrad, SpecialValues) {
  const double inf = INFINITY, nan = NAN;
  for (int N = 1; N <= 8; ++N) {
    const auto c = make_eps_grad_constants<double>(N, 1e-4);
    const EpsDerivs<double> e_inf = gem_eps_derivs(Variant::egem, inf, c);
    EXPECT_EQ(e_inf.df_deps, 0.0);
    EXPECT_TRUE(std::signbit(e_inf.df_deps));
    EXPECT_EQ(e_inf.d2f_dx_deps, 0.0);
    EXPECT_EQ(e_inf.d2f_deps2, 0.0);
    const EpsDerivs<double> se_ninf = gem_eps_derivs(Variant::segem, -inf, c);
    EXPECT_EQ(se_ninf.df_deps, 0.0);
    EXPECT_EQ(se_ninf.d2f_dx_deps, 0.0);
    EXPECT_EQ(se_ninf.d2f_deps2, 0.0);
    for (Variant v : {Variant::gem, Variant::egem, Variant::segem}) {
      const EpsDerivs<double> n = gem_eps_derivs(v, nan, c);
      EXPECT_TRUE(std::isnan(n.df_deps) && std::isnan(n.d2f_dx_deps) && std::isnan(n.d2f_deps2));
      for (double z : {0.0, -0.0}) {
        const EpsDerivs<double> d = gem_eps_derivs(v, z, c);
        EXPECT_EQ(d.df_deps, 0.0);
        EXPECT_EQ(d.d2f_dx_deps, 0.0);
        EXPECT_EQ(d.d2f_deps2, 0.0);
      }
    }
    // The sides where f does not depend on eps.
    const EpsDerivs<double> e_neg = gem_eps_derivs(Variant::egem, -2.5, c);
    const EpsDerivs<double> se_pos = gem_eps_derivs(Variant::segem, 2.5, c);
    EXPECT_EQ(e_neg.df_deps, 0.0);
    EXPECT_EQ(se_pos.df_deps, 0.0);
    EXPECT_EQ(se_pos.d2f_dx_deps, 0.0);
  }
}

// E_{eps}(x) = c E_{eps/c^m}(x/c) gives, for c = 2^k (exact rescaling):
//   df/deps(x; eps) = c^(1-m) df/deps(x/c; eps/c^m), d2f/(dx deps) scales by c^-m, d2f/deps2 by c^(1-2m).
// The header's frexp split makes these identities exact bit for bit while no result is
// subnormal, across the whole range of x and eps, including eps far outside binary32's range.
template <class W>
void check_scaling(int k_step) {
  for (Variant v : {Variant::egem, Variant::segem})
    for (int N = 1; N <= 8; ++N) {
      const int m = 2 * N;
      for (double x0 : {0.37, -0.37, 1.9, -1.9, 0.0123, -0.0123})
        for (double eps0 : {0.3, 1.7e-3, 5.0}) {
          const auto base = gem_eps_derivs(v, static_cast<W>(x0), make_eps_grad_constants<W>(N, eps0));
          for (int k = -k_step * 4; k <= k_step * 4; k += k_step) {
            const double eps = std::ldexp(eps0, m * k);
            if (eps == 0.0 || std::isinf(eps) || eps < DBL_MIN) continue;
            const W x = static_cast<W>(std::ldexp(x0, k));
            const auto d = gem_eps_derivs(v, x, make_eps_grad_constants<W>(N, eps));
            const long double s1 = std::ldexp(1.0L, (1 - m) * k), sx = std::ldexp(1.0L, -m * k),
                              s2 = std::ldexp(1.0L, (1 - 2 * m) * k);
            auto same = [](W got, long double want) {
              const long double lim = std::numeric_limits<W>::min();
              if (std::fabs(want) < lim) return std::fabs(static_cast<long double>(got) - want) <= lim;  // subnormal
              if (std::fabs(want) > std::numeric_limits<W>::max()) return std::isinf(got);
              return static_cast<long double>(got) == want;
            };
            EXPECT_TRUE(same(d.df_deps, s1 * base.df_deps))
                << variant_name(v) << " N=" << N << " x=" << x << " eps=" << eps;
            EXPECT_TRUE(same(d.d2f_dx_deps, sx * base.d2f_dx_deps))
                << variant_name(v) << " N=" << N << " x=" << x << " eps=" << eps;
            EXPECT_TRUE(same(d.d2f_deps2, s2 * base.d2f_deps2))
                << variant_name(v) << " N=" << N << " x=" << x << " eps=" << eps;
          }
        }
    }
}

TEST(GemEpsGrad, ExactPowerOfTwoScalingDouble) { check_scaling<double>(30); }
TEST(GemEpsGrad, ExactPowerOfTwoScalingFloat) { check_scaling<float>(3); }

// Extreme eps: no NaN, and the sign of each quantity where it is not zero.
TEST(GemEpsGrad, ExtremeEpsStayFinite) {
  for (double eps : {4.9e-324, 1e-310, DBL_MIN, 1e-200, 1e200, DBL_MAX})
    for (int N : {1, 4, 8})
      for (double x : {-1e300, -1e-3, -1e-300, 1e-300, 1e-3, 1e300}) {
        const auto d = gem_eps_derivs(Variant::egem, x, make_eps_grad_constants<double>(N, eps));
        const auto s = gem_eps_derivs(Variant::segem, x, make_eps_grad_constants<double>(N, eps));
        for (double y : {d.df_deps, d.d2f_dx_deps, d.d2f_deps2, s.df_deps, s.d2f_dx_deps, s.d2f_deps2})
          EXPECT_FALSE(std::isnan(y)) << "N=" << N << " eps=" << eps << " x=" << x;
        EXPECT_LE(d.df_deps, 0.0);
        EXPECT_GE(d.d2f_deps2, 0.0);
        EXPECT_LE(s.df_deps, 0.0);
      }
}

}  // namespace
}  // namespace gem
