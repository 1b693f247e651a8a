// The baseline activations (include/gem/act/{relu,gelu,silu,mish,elu,leaky_relu}.h):
//  - f, f', f'' against long-double references over the whole range (evenly in ULP space,
//    split at +-0, plus a dense sweep where the functions bend), one table row per function
//    with the bound per format that its contract block states;
//  - f' and f'' against central differences of the header's own f and f' (long double);
//  - special values (+-inf, NaN, +-0 with sign) exactly;
//  - activation.h's evaluate() for every kind of ActivationSpec.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "gem/act/elu.h"
#include "gem/act/gelu.h"
#include "gem/act/leaky_relu.h"
#include "gem/act/mish.h"
#include "gem/act/relu.h"
#include "gem/act/silu.h"
#include "gem/activation.h"

namespace gem {
namespace {

using LD = long double;

// ---- References in long double (64-bit significand, exponent range beyond binary64's) -------
// Textbook forms, with the two places where long double alone is not enough for binary64
// handled exactly: x^2 inside exp and the argument of erfc are carried in two parts.

/// Value and the size M of the terms that cancel (the error is measured in ulps of
/// max(|y*|, M), as spec 3.4 does for the GEM family).
struct Ref {
  LD y[3];  // f, f', f''
  LD m[3];  // M for each
};

const LD kSqrtHalfL = 0.707106781186547524400844362104849039L;

/// phi(x) = exp(-x^2/2)/sqrt(2 pi) with x^2 = hi + lo exactly (x is a binary64 number).
LD ref_pdf(LD x) {
  const LD hi = x * x, lo = std::isinf(hi) ? 0 : std::fma(x, x, -hi);
  return std::exp(-hi / 2) * (1 - lo / 2) * 0.398942280401432677939946059934381868L;
}
/// Phi(x) = erfc(-x/sqrt2)/2, with -x/sqrt2 = zh + zl.
LD ref_cdf(LD x, LD pdf) {
  const LD c_lo = std::fma(-2 * kSqrtHalfL, kSqrtHalfL, 1.0L) / (4 * kSqrtHalfL);  // 1/sqrt2 - kSqrtHalfL
  const LD zh = -x * kSqrtHalfL, zl = std::fma(-x, kSqrtHalfL, -zh) - x * c_lo;
  return std::erfc(zh) / 2 - 1.414213562373095048801688724209698079L * pdf * zl;
}

Ref ref_gelu(LD x) {
  const LD pdf = ref_pdf(x), cdf = ref_cdf(x, pdf);
  const LD xpdf = pdf == 0 ? 0 : x * pdf;
  const LD bend = pdf == 0 ? 0 : pdf * std::fma(-x, x, 2.0L), bend_m = pdf == 0 ? 0 : pdf * std::fma(x, x, 2.0L);
  return {{x * cdf, cdf + xpdf, bend}, {std::fabs(x * cdf), cdf + std::fabs(xpdf), bend_m}};
}

/// s = sigmoid(x) and 1 - s, each without cancellation.
void ref_sigmoid(LD x, LD& s, LD& one_minus_s) {
  const LD e = std::exp(-std::fabs(x));
  const LD big = 1 / (1 + e), small = e / (1 + e);
  s = x >= 0 ? big : small;
  one_minus_s = x >= 0 ? small : big;
}

Ref ref_silu(LD x) {
  LD s, r;
  ref_sigmoid(x, s, r);
  const LD xr = std::isinf(x) ? 0 : x * r;  // x (1 - s) -> 0 at +-inf
  const LD one_minus_2s = -std::tanh(x / 2), w = s * r;
  const LD bend = std::isinf(x) ? 0 : x * one_minus_2s;
  return {{std::isinf(x) && x < 0 ? -0.0L : x * s, s * (1 + xr), w * (2 + bend)},
          {std::isinf(x) ? 0 : std::fabs(x * s), s * (1 + std::fabs(xr)), w * (2 + std::fabs(bend))}};
}

Ref ref_mish(LD x) {
  LD s, r;
  ref_sigmoid(x, s, r);
  const LD sp = x > 11000 ? x : std::log1p(std::exp(x)), t = std::tanh(sp);
  const LD ch = std::cosh(sp), sech2 = 1 / (ch * ch);
  const LD w = sech2 * s;                    // (1 - t^2) s
  const LD inner = r - 2 * t * s;            // 1 - s - 2 t s
  const LD xw = std::isinf(x) ? 0 : x * w, xi = std::isinf(x) ? 0 : x * inner;
  const LD f = std::isinf(x) && x < 0 ? -0.0L : x * t;
  return {{f, t + xw, w * (2 + xi)}, {std::fabs(f), t + std::fabs(xw), w * (2 + std::fabs(xi))}};
}

Ref ref_elu(LD x, LD alpha) {
  if (x > 0) return {{x, 1, 0}, {x, 1, 0}};
  const LD f = alpha * std::expm1(x), d = alpha * std::exp(x);
  return {{f, d, d}, {std::fabs(f), std::fabs(d), std::fabs(d)}};
}

Ref ref_relu(LD x) { return x > 0 ? Ref{{x, 1, 0}, {x, 1, 0}} : Ref{{0, 0, 0}, {0, 0, 0}}; }

Ref ref_leaky(LD x, LD slope) {
  return x > 0 ? Ref{{x, 1, 0}, {x, 1, 0}} : Ref{{slope * x, slope, 0}, {std::fabs(slope * x), std::fabs(slope), 0}};
}

// ---- The table ---------------------------------------------------------------------------------

/// The three functions of one header in format W; p is the parameter (alpha, slope) if any.
template <class W>
struct Impl {
  W (*f)(W, W);
  W (*df)(W, W);
  W (*d2f)(W, W);
};

struct Row {
  const char* name;
  Ref (*ref)(LD x, LD p);  // evaluated at the parameter as the format holds it
  double param;
  Impl<double> d;
  Impl<float> s;
  Impl<LD> l;
  double sweep_half_width;        // the dense linear sweep covers [-w, w] (binary32: w/2.5)
  double bound64[3], bound32[3];  // ulps of max(|y*|, M), as in each header's contract block
};

#define GEM_IMPL(W, fn) \
  Impl<W>{[](W x, W) { return fn(x); }, [](W x, W) { return fn##_grad(x); }, [](W x, W) { return fn##_grad2(x); }}
#define GEM_IMPL_P(W, fn) \
  Impl<W>{[](W x, W p) { return fn(x, p); }, [](W x, W p) { return fn##_grad(x, p); }, [](W x, W p) { return fn##_grad2(x, p); }}
#define GEM_IMPLS(fn) GEM_IMPL(double, fn), GEM_IMPL(float, fn), GEM_IMPL(LD, fn)
#define GEM_IMPLS_P(fn) GEM_IMPL_P(double, fn), GEM_IMPL_P(float, fn), GEM_IMPL_P(LD, fn)

const Row kRows[] = {
    {"relu", [](LD x, LD) { return ref_relu(x); }, 0, GEM_IMPLS(relu), 10, {0, 0, 0}, {0, 0, 0}},
    {"leaky_relu(0.01)", ref_leaky, 0.01, GEM_IMPLS_P(leaky_relu), 10, {0.5, 0, 0}, {0.5, 0, 0}},
    {"leaky_relu(0)", ref_leaky, 0.0, GEM_IMPLS_P(leaky_relu), 10, {0, 0, 0}, {0, 0, 0}},
    {"elu(1)", ref_elu, 1.0, GEM_IMPLS_P(elu), 60, {1.5, 1.5, 1.5}, {1.5, 1.5, 1.5}},
    {"elu(0.3)", ref_elu, 0.3, GEM_IMPLS_P(elu), 60, {1.5, 1.5, 1.5}, {1.5, 1.5, 1.5}},
    {"gelu", [](LD x, LD) { return ref_gelu(x); }, 0, GEM_IMPLS(gelu), 45, {6, 6, 6}, {6, 6, 6}},
    {"silu", [](LD x, LD) { return ref_silu(x); }, 0, GEM_IMPLS(silu), 760, {4, 5, 6}, {4, 5, 6}},
    {"mish", [](LD x, LD) { return ref_mish(x); }, 0, GEM_IMPLS(mish), 760, {5, 6, 8}, {5, 6, 8}},
};

/// ulp of format W at magnitude v (subnormal spacing below the smallest normal).
template <class W>
double ulp_of(LD v) {
  v = std::fabs(v);
  const LD min_normal = std::numeric_limits<W>::min();
  const int digits = std::numeric_limits<W>::digits;
  if (v < min_normal) return static_cast<double>(std::ldexp(min_normal, 1 - digits));
  if (v > std::numeric_limits<W>::max()) v = std::numeric_limits<W>::max();
  return static_cast<double>(std::ldexp(1.0L, std::ilogb(v) + 1 - digits));
}

template <class W>
double error_ulps(W got, LD want, LD M) {
  if (std::isnan(want)) return std::isnan(got) ? 0 : INFINITY;
  if (std::isinf(want) || std::isinf(got)) return LD(got) == want ? 0 : INFINITY;
  if (std::isnan(got)) return INFINITY;
  return static_cast<double>(std::fabs(LD(got) - want) / ulp_of<W>(std::fmax(std::fabs(want), M)));
}

/// The x of the sweep for format W: evenly in ULP space over each side (bit patterns of the
/// positive finite numbers, split at +-0), densely in [-w, w], and the exact zeros.
template <class W>
std::vector<W> sweep_points(double half_width) {
  using Bits = std::conditional_t<sizeof(W) == 4, std::uint32_t, std::uint64_t>;
  const Bits top = sizeof(W) == 4 ? Bits(0x7F7FFFFF) : Bits(0x7FEFFFFFFFFFFFFF);
  const int n = 40000;
  std::vector<W> xs{W(0), W(-0.0)};
  for (int i = 0; i <= n; ++i) {
    const Bits b = static_cast<Bits>(1 + (top - 1) / n * static_cast<Bits>(i));
    W v;
    std::memcpy(&v, &b, sizeof v);
    xs.push_back(v);
    xs.push_back(-v);
  }
  const W w = static_cast<W>(sizeof(W) == 4 ? half_width / 2.5 : half_width);
  for (int i = -n; i <= n; ++i) xs.push_back(w * W(i) / W(n) * W(0.9999999) + W(1e-7) * W(i % 7));
  return xs;
}

template <class W>
struct Worst {
  double ulps[3] = {0, 0, 0};
  W at[3] = {0, 0, 0};
};

template <class W>
Worst<W> measure(const Row& row, const Impl<W>& impl) {
  Worst<W> worst;
  const W p = static_cast<W>(row.param);
  for (W x : sweep_points<W>(row.sweep_half_width)) {
    const Ref r = row.ref(LD(x), LD(p));
    const W got[3] = {impl.f(x, p), impl.df(x, p), impl.d2f(x, p)};
    for (int q = 0; q < 3; ++q) {
      const double e = error_ulps<W>(got[q], r.y[q], r.m[q]);
      if (!(e <= worst.ulps[q])) worst.ulps[q] = e, worst.at[q] = x;
    }
  }
  return worst;
}

TEST(Baselines, WithinContractBoundsOverTheWholeRange) {
  for (const Row& row : kRows) {
    const Worst<double> d = measure(row, row.d);
    const Worst<float> s = measure(row, row.s);
    std::printf("%-17s binary64 %6.3f %6.3f %6.3f ulp (at %g %g %g)  binary32 %6.3f %6.3f %6.3f ulp (at %g %g %g)\n", row.name,
                d.ulps[0], d.ulps[1], d.ulps[2], d.at[0], d.at[1], d.at[2], s.ulps[0], s.ulps[1], s.ulps[2], double(s.at[0]),
                double(s.at[1]), double(s.at[2]));
    for (int q = 0; q < 3; ++q) {
      EXPECT_LE(d.ulps[q], row.bound64[q]) << row.name << " binary64 order " << q << " at x = " << d.at[q];
      EXPECT_LE(s.ulps[q], row.bound32[q]) << row.name << " binary32 order " << q << " at x = " << s.at[q];
    }
  }
}


// ---- Derivatives against central differences of the header's own f and f' ----------------------

/// Richardson-extrapolated central difference of g at x, step h, in long double (error O(h^4)).
template <class G>
LD central_difference(G g, LD x, LD h) {
  const LD coarse = (g(x + h) - g(x - h)) / (2 * h), fine = (g(x + h / 2) - g(x - h / 2)) / h;
  return (4 * fine - coarse) / 3;
}

TEST(Baselines, DerivativesMatchCentralDifferences) {
  double worst = 0;
  int checked = 0;
  for (const Row& row : kRows) {
    const Impl<LD>& l = row.l;
    const LD p = row.param;
    for (int i = -400; i <= 400; ++i) {
      const LD x = LD(i) / 40 + LD(0.0123), h = LD(1e-3);
      if (std::fabs(x) < 4 * h) continue;  // ReLU, leaky ReLU and ELU have their kink at 0
      const LD d1 = central_difference([&](LD t) { return l.f(t, p); }, x, h);
      const LD d2 = central_difference([&](LD t) { return l.df(t, p); }, x, h);
      const LD f = l.f(x, p), df = l.df(x, p), d2f = l.d2f(x, p);
      const double e1 = double(std::fabs(d1 - df) / (1 + std::fabs(df) + std::fabs(f))),
                   e2 = double(std::fabs(d2 - d2f) / (1 + std::fabs(d2f) + std::fabs(df)));
      worst = std::fmax(worst, std::fmax(e1, e2));
      checked += 2;
      EXPECT_LE(e1, 1e-10) << row.name << " f' at x = " << double(x) << ": " << double(df) << " vs " << double(d1);
      EXPECT_LE(e2, 1e-10) << row.name << " f'' at x = " << double(x) << ": " << double(d2f) << " vs " << double(d2);
    }
  }
  std::printf("baselines: f', f'' vs central differences of f, f': %d values, worst relative %.2g\n", checked, worst);
}

// ---- Special values ------------------------------------------------------------------------------

struct Special {
  const char* name;
  double x, f, df, d2f;  // f is compared with its sign; derivatives with ==
};

template <class W>
std::vector<Special> specials() {
  const double nan = NAN, inf = INFINITY;
  const double phi0 = 2 * static_cast<double>(W(kInvSqrt2Pi));  // gelu''(0) = 2 phi(0), rounded once
  const double big = static_cast<double>(W(1e30));
  std::vector<Special> v{
      {"relu", -inf, 0.0, 0, 0},          {"relu", inf, inf, 1, 0},          {"relu", 0.0, 0.0, 0, 0},
      {"relu", -0.0, 0.0, 0, 0},          {"relu", -2.0, 0.0, 0, 0},         {"relu", 2.0, 2.0, 1, 0},
      {"gelu", -inf, -0.0, 0, 0},         {"gelu", inf, inf, 1, 0},          {"gelu", 0.0, 0.0, 0.5, phi0},
      {"gelu", -0.0, -0.0, 0.5, phi0},    {"gelu", -1e30, -0.0, 0, 0},       {"gelu", big, big, 1, 0},
      {"silu", -inf, -0.0, 0, 0},         {"silu", inf, inf, 1, 0},          {"silu", 0.0, 0.0, 0.5, 0.5},
      {"silu", -0.0, -0.0, 0.5, 0.5},     {"silu", -1e30, -0.0, 0, 0},       {"silu", big, big, 1, 0},
      {"mish", -inf, -0.0, 0, 0},         {"mish", inf, inf, 1, 0},          {"mish", 0.0, 0.0, double(W(0.6)), double(W(0.64))},
      {"mish", -0.0, -0.0, double(W(0.6)), double(W(0.64))},                  {"mish", -1e30, -0.0, 0, 0},
      {"mish", big, big, 1, 0},         {"elu", -inf, -1.0, 0, 0},         {"elu", inf, inf, 1, 0},
      {"elu", 0.0, 0.0, 1, 1},            {"elu", -0.0, -0.0, 1, 1},         {"elu", -1e30, -1.0, 0, 0},
      {"leaky_relu", -inf, -inf, double(W(0.01)), 0},                         {"leaky_relu", inf, inf, 1, 0},
      {"leaky_relu", 0.0, 0.0, double(W(0.01)), 0},                           {"leaky_relu", -0.0, -0.0, double(W(0.01)), 0},
  };
  for (const char* name : {"relu", "gelu", "silu", "mish", "elu", "leaky_relu"}) v.push_back({name, nan, nan, nan, nan});
  return v;
}

template <class W>
void eval_named(const std::string& name, W x, W out[3]) {
  if (name == "relu") out[0] = relu(x), out[1] = relu_grad(x), out[2] = relu_grad2(x);
  if (name == "gelu") out[0] = gelu(x), out[1] = gelu_grad(x), out[2] = gelu_grad2(x);
  if (name == "silu") out[0] = silu(x), out[1] = silu_grad(x), out[2] = silu_grad2(x);
  if (name == "mish") out[0] = mish(x), out[1] = mish_grad(x), out[2] = mish_grad2(x);
  if (name == "elu") out[0] = elu(x, W(1)), out[1] = elu_grad(x, W(1)), out[2] = elu_grad2(x, W(1));
  if (name == "leaky_relu")
    out[0] = leaky_relu(x, W(0.01)), out[1] = leaky_relu_grad(x, W(0.01)), out[2] = leaky_relu_grad2(x, W(0.01));
}

bool same_with_sign(double got, double want) {
  return std::isnan(want) ? std::isnan(got) : got == want && std::signbit(got) == std::signbit(want);
}
bool same_value(double got, double want) { return std::isnan(want) ? std::isnan(got) : got == want; }

template <class W>
void check_specials(const char* type_name) {
  for (const Special& s : specials<W>()) {
    W y[3] = {W(NAN), W(NAN), W(NAN)};
    eval_named<W>(s.name, static_cast<W>(s.x), y);
    EXPECT_TRUE(same_with_sign(y[0], s.f)) << type_name << " " << s.name << "(" << s.x << ") = " << y[0];
    EXPECT_TRUE(same_value(y[1], s.df)) << type_name << " " << s.name << "'(" << s.x << ") = " << y[1];
    EXPECT_TRUE(same_value(y[2], s.d2f)) << type_name << " " << s.name << "''(" << s.x << ") = " << y[2];
  }
}

TEST(Baselines, SpecialValuesBinary64) { check_specials<double>("binary64"); }
TEST(Baselines, SpecialValuesBinary32) { check_specials<float>("binary32"); }

TEST(Baselines, ParameterEdgeCases) {
  // slope 0: f = 0 on x <= 0, also at -inf (0 * -inf would be NaN); negative slope and alpha.
  EXPECT_TRUE(same_with_sign(leaky_relu(-double(INFINITY), 0.0), -0.0));
  EXPECT_TRUE(same_with_sign(leaky_relu(-3.0, 0.0), -0.0));
  EXPECT_TRUE(same_with_sign(leaky_relu(0.0, 0.0), 0.0));
  EXPECT_EQ(leaky_relu(-double(INFINITY), -0.5), INFINITY);
  EXPECT_EQ(leaky_relu_grad(-1.0, -0.5), -0.5);
  EXPECT_EQ(elu(-double(INFINITY), 0.3), -0.3);
  EXPECT_EQ(elu(-double(INFINITY), -2.0), 2.0);
  EXPECT_EQ(elu_grad(-double(INFINITY), 0.3), 0.0);
  // Signs of results that underflow: negative side of GELU, SiLU, Mish stays -0 or below.
  for (double x = -1.0; x > -1e300; x *= 3.7) {
    EXPECT_TRUE(std::signbit(gelu(x)) && std::signbit(silu(x)) && std::signbit(mish(x))) << x;
    EXPECT_TRUE(std::signbit(gelu(float(x))) && std::signbit(silu(float(x))) && std::signbit(mish(float(x)))) << x;
  }
}

// ---- activation.h ---------------------------------------------------------------------------------

TEST(Baselines, EvaluateDispatchesEveryKind) {
  const double xs[] = {-INFINITY, -1e300, -40.0, -3.0, -1.2785, -0.5, -1e-300, -0.0, 0.0, 1e-300, 0.25, 1.0, 7.5, 1e300,
                       INFINITY,  NAN};
  for (const char* text : {"relu", "gelu", "silu", "mish", "elu", "elu:alpha=0.3", "leaky_relu", "leaky_relu:slope=0.2",
                           "gem:N=2", "egem:N=3,eps=1e-4", "segem:N=1,eps=0.01", "segem:N=8,eps=5e-324"}) {
    const ActivationSpec s = ActivationSpec::parse(text);
    for (double x : xs) {
      double want[3];
      switch (s.kind) {
        case Kind::relu: want[0] = relu(x), want[1] = relu_grad(x), want[2] = relu_grad2(x); break;
        case Kind::gelu: want[0] = gelu(x), want[1] = gelu_grad(x), want[2] = gelu_grad2(x); break;
        case Kind::silu: want[0] = silu(x), want[1] = silu_grad(x), want[2] = silu_grad2(x); break;
        case Kind::mish: want[0] = mish(x), want[1] = mish_grad(x), want[2] = mish_grad2(x); break;
        case Kind::elu: want[0] = elu(x, s.alpha), want[1] = elu_grad(x, s.alpha), want[2] = elu_grad2(x, s.alpha); break;
        case Kind::leaky_relu:
          want[0] = leaky_relu(x, s.alpha), want[1] = leaky_relu_grad(x, s.alpha), want[2] = leaky_relu_grad2(x, s.alpha);
          break;
        default: {
          const Derivs<double> d = gem_derivs(s.gem.variant, x, make_constants<double>(s.gem));
          want[0] = d.f, want[1] = d.df, want[2] = d.d2f;
        }
      }
      const Derivs<double> got = evaluate(s, x);
      EXPECT_TRUE(same_with_sign(got.f, want[0])) << text << " f(" << x << ")";
      EXPECT_TRUE(same_with_sign(got.df, want[1])) << text << " f'(" << x << ")";
      EXPECT_TRUE(same_with_sign(got.d2f, want[2])) << text << " f''(" << x << ")";
    }
  }
  // Parameters are used: elu's alpha and leaky_relu's slope change the negative side.
  EXPECT_EQ(evaluate(ActivationSpec::parse("elu:alpha=0.3"), -INFINITY).f, -0.3);
  EXPECT_EQ(evaluate(ActivationSpec::parse("leaky_relu:slope=0.2"), -2.0).f, -0.4);
  EXPECT_EQ(evaluate(ActivationSpec::parse("egem:N=1,eps=1"), 1.0).f, 0.5);
  EXPECT_EQ(evaluate(ActivationSpec::parse("segem:N=1,eps=1"), -1.0).f, -0.5);
  // A hand-built spec with invalid GEM parameters is refused, not evaluated.
  ActivationSpec bad;
  bad.kind = Kind::egem;
  bad.gem = Params{Variant::egem, 9, 1e-4};
  EXPECT_THROW(evaluate(bad, 1.0), std::invalid_argument);
}

}  // namespace
}  // namespace gem
