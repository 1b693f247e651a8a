// Spec 3.3 through the kernels (every dtype, variant, N and SIMD target): NaN, +-inf, +-0 and
// the sign of zero results; NaN in grad_out propagating; and the errors the kernels throw
// for invalid parameters (spec 4) and thread counts.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/test_support.h"
#include "common/error_of.h"

namespace gem::testing {
namespace {

struct Expected {
  double x, f, df, d2f;
  int f_sign;  // for f == 0: 1 = +0, -1 = -0 (spec 3.3 fixes the sign of f; derivatives may be either)
};

std::vector<Expected> expected_for(Variant v) {
  const double inf = INFINITY, nan = NAN;
  if (v == Variant::segem) {
    return {{nan, nan, nan, nan, 0}, {inf, inf, 1, 0, 0},  {-inf, 0, 0, 0, -1},
            {0.0, 0, 1, 0, 1},       {-0.0, 0, 1, 0, -1}};
  }
  return {{nan, nan, nan, nan, 0}, {inf, inf, 1, 0, 0}, {-inf, 0, 0, 0, 1}, {0.0, 0, 0, 0, 1},
          {-0.0, 0, 0, 0, 1},      {-2.5, 0, 0, 0, 1}};
}

bool same(double got, double want) { return std::isnan(want) ? std::isnan(got) : got == want; }

/// The specials repeated to 37 elements (full vectors and a tail on every target).
template <class T>
void check_specials() {
  for_each_simd_target([] {
    for (int N = 1; N <= 8; ++N) {
      for (const Params& p : params_for(N)) {
        const auto table = expected_for(p.variant);
        std::vector<T> x, ones, nans;
        for (std::size_t i = 0; i < 37; ++i) {
          x.push_back(from_double<T>(table[i % table.size()].x));
          ones.push_back(from_double<T>(1.0));
          nans.push_back(from_double<T>(NAN));
        }
        const std::size_t n = x.size();
        std::vector<T> f(n), df(n), d2f(n), nan_grad(n);
        cpu::forward(p, x.data(), f.data(), n, 1);
        cpu::backward(p, ones.data(), x.data(), df.data(), n, 1);
        cpu::backward_grad2(p, ones.data(), x.data(), d2f.data(), n, 1);
        cpu::backward(p, nans.data(), x.data(), nan_grad.data(), n, 1);
        for (std::size_t i = 0; i < n; ++i) {
          const Expected& e = table[i % table.size()];
          const std::string where = std::string(Format<T>::name) + ' ' + describe(p) + " x=" + format_double(e.x);
          EXPECT_TRUE(same(to_double(f[i]), e.f)) << where << " f=" << format_double(to_double(f[i]));
          EXPECT_TRUE(same(to_double(df[i]), e.df)) << where << " f'=" << format_double(to_double(df[i]));
          EXPECT_TRUE(same(to_double(d2f[i]), e.d2f)) << where << " f''=" << format_double(to_double(d2f[i]));
          if (e.f_sign != 0) EXPECT_EQ(std::signbit(to_double(f[i])), e.f_sign < 0) << where << ": sign of f";
          EXPECT_TRUE(std::isnan(to_double(nan_grad[i]))) << where << ": NaN grad_out must give NaN";
        }
      }
    }
  });
}

template <class T>
class KernelSpecialValues : public ::testing::Test {};
TYPED_TEST_SUITE(KernelSpecialValues, StorageTypes, StorageTypeName);

TYPED_TEST(KernelSpecialValues, EveryClassOfInput) { check_specials<TypeParam>(); }

/// Results that underflow keep their sign (spec 3.3): SE-GEM far left is -0, E-GEM at a tiny
/// positive x is +0, in every dtype (the 16-bit types underflow much earlier).
template <class T>
void check_underflow_signs() {
  for_each_simd_target([] {
    for (int N = 1; N <= 8; ++N) {
      const Params se = make_segem(N, 1e-6), e = make_egem(N, 1e-6);
      std::vector<T> far_left(20, from_double<T>(-Format<T>::max)), tiny(20, from_double<T>(Format<T>::min_normal));
      std::vector<T> y(20);
      cpu::forward(se, far_left.data(), y.data(), y.size(), 1);
      for (const T v : y) {
        EXPECT_LE(to_double(v), 0.0) << Format<T>::name << ' ' << describe(se);
        if (to_double(v) == 0) EXPECT_TRUE(std::signbit(to_double(v))) << Format<T>::name << ' ' << describe(se);
      }
      cpu::forward(e, tiny.data(), y.data(), y.size(), 1);
      for (const T v : y) {
        EXPECT_GE(to_double(v), 0.0) << Format<T>::name << ' ' << describe(e);
        EXPECT_FALSE(std::signbit(to_double(v))) << Format<T>::name << ' ' << describe(e);
      }
    }
  });
}

TYPED_TEST(KernelSpecialValues, UnderflowKeepsSign) { check_underflow_signs<TypeParam>(); }

/// Every entry point validates before touching memory (n = 0 and null pointers included).
template <class T>
void check_parameter_errors() {
  const T* none = nullptr;
  T* out = nullptr;
  const struct {
    Params p;
    const char* message;
  } bad[] = {
      {{Variant::egem, 0, 1e-4}, "GEM order N must be an integer in [1, 8], got 0"},
      {{Variant::segem, 9, 1e-4}, "GEM order N must be an integer in [1, 8], got 9"},
      {{Variant::egem, 2, 0.0}, "E-GEM eps must be finite and > 0, got 0"},
      {{Variant::segem, 2, -1.0}, "SE-GEM eps must be finite and > 0, got -1"},
      {{Variant::egem, 2, NAN}, "E-GEM eps must be finite and > 0, got nan"},
      {{Variant::egem, 2, INFINITY}, "E-GEM eps must be finite and > 0, got inf"},
      {{Variant::gem, 2, 0.5}, "GEM has no eps"},
  };
  for (const auto& b : bad) {
    for (std::size_t n : {std::size_t(0), std::size_t(3)}) {
      std::vector<T> x(n), y(n);
      const T* xp = n ? x.data() : none;
      T* yp = n ? y.data() : out;
      EXPECT_NE(error_of<std::invalid_argument>([&] { cpu::forward(b.p, xp, yp, n); }).find(b.message),
                std::string::npos)
          << b.message;
      EXPECT_NE(error_of<std::invalid_argument>([&] { cpu::backward(b.p, xp, xp, yp, n); }).find(b.message),
                std::string::npos);
      EXPECT_NE(error_of<std::invalid_argument>([&] { cpu::backward_grad2(b.p, xp, xp, yp, n); }).find(b.message),
                std::string::npos);
      EXPECT_NE(error_of<std::invalid_argument>([&] { cpu::reference::forward(b.p, xp, yp, n); }).find(b.message),
                std::string::npos);
    }
  }
  const Params good = make_egem(2, 1e-4);
  EXPECT_NE(error_of<std::invalid_argument>([&] {
              cpu::forward(good, none, out, 0, -1);
            }).find("threads must be in [0, 1024]"),
            std::string::npos);
  // 100,000 threads made OpenMP abort the process: refused, with the bound in the message.
  EXPECT_EQ(error_of<std::invalid_argument>([&] { cpu::forward(good, none, out, 0, 100000); }),
            "gem::cpu: threads must be in [0, 1024] (0 = OpenMP's maximum), got 100000");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { cpu::forward(good, none, out, 0, 0); }), kNoError);
  EXPECT_EQ(error_of<std::invalid_argument>([&] { cpu::backward(good, none, none, out, 0, 2); }), kNoError);
}

TEST(KernelErrors, InvalidParameters) {
  check_parameter_errors<double>();
  check_parameter_errors<float>();
  check_parameter_errors<half>();
  check_parameter_errors<bfloat16>();
}

TEST(KernelDispatch, NamesTheTarget) {
  const std::string name = cpu::simd_target();
  EXPECT_FALSE(name.empty());
  EXPECT_EQ(name, hwy::TargetName(hwy::SupportedAndGeneratedTargets().front()));
}

}  // namespace
}  // namespace gem::testing
