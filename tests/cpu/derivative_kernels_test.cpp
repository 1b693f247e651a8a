// The derivative kernel (kernels.h: derivative) on every SIMD target: orders 3 and 4 on lanes
// against gem_derivative (scaled jets) element by element, the rare lanes that leave the lanes
// (NaN, inf, |x| far beyond the scale) exact, every length (partial vectors), and the same bits
// for any thread count; the other orders are gem_derivative itself.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cpu/test_support.h"
#include "gem/act/gem_derivative.h"
#include "gem/cpu/kernels.h"
#include "gem/round_once.h"

namespace gem::testing {
namespace {

std::vector<double> inputs(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 2.0);
  std::uniform_real_distribution<double> exponent(-30, 30);
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i)
    x[i] = i % 7 == 3 ? std::copysign(std::pow(10.0, exponent(rng)), normal(rng)) : normal(rng);
  const double special[] = {0.0, -0.0, NAN, INFINITY, -INFINITY, 1e300, -1e300, 1e-300, -1e-300};
  for (std::size_t i = 0; i < std::size(special) && i < n; ++i) x[i * 5 % n] = special[i];
  return x;
}

TEST(DerivativeKernel, LanesAgreeWithTheScaledJetsOnEveryTarget) {
  const std::vector<double> x = inputs(2000, 1);
  for (const Params& p :
       {make_gem(2), make_egem(1, 1e-4), make_segem(3, 0.37), make_egem(8, 10.0), make_segem(1, 1e-30)}) {
    const GemConstants<double> c = make_constants<double>(p);
    for (const int k : {3, 4, 5}) {
      for_each_simd_target([&] {
        std::vector<double> y(x.size());
        cpu::derivative<double>(p, k, x.data(), y.data(), x.size(), 1);
        for (std::size_t i = 0; i < x.size(); ++i) {
          const double want = gem_derivative(p.variant, k, x[i], c);
          if (std::isnan(want)) {
            ASSERT_TRUE(std::isnan(y[i])) << i;
            continue;
          }
          ASSERT_LE(std::fabs(y[i] - want), 1e-11 * std::fabs(want) + 1e-300)
              << variant_name(p.variant) << " N=" << p.N << " k=" << k << " x=" << x[i];
        }
      });
    }
  }
}

TEST(DerivativeKernel, AnyLengthAnyThreadsTheSameBits) {
  const std::vector<double> x = inputs(70000, 2);  // several chunks
  const Params p = make_segem(2, 0.01);
  for (const int k : {3, 4, 6}) {
    std::vector<float> xf(x.begin(), x.end()), one(x.size()), two(x.size());
    cpu::derivative<float>(p, k, xf.data(), one.data(), xf.size(), 1);
    cpu::derivative<float>(p, k, xf.data(), two.data(), xf.size(), 2);
    EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0) << "k=" << k;
    for (std::size_t n = 1; n <= 37; ++n) {  // an element's bits do not depend on where the array ends
      std::vector<float> part(n);
      cpu::derivative<float>(p, k, xf.data() + 100, part.data(), n, 1);
      ASSERT_EQ(std::memcmp(part.data(), one.data() + 100, n * sizeof(float)), 0) << "n=" << n << " k=" << k;
    }
  }
}

TEST(DerivativeKernel, NarrowTypesRoundTheBinary64ResultOnce) {
  const std::vector<double> x = inputs(500, 3);
  const Params p = make_egem(2, 1e-3);
  std::vector<half> xh;
  for (double v : x) xh.push_back(from_double<half>(v));
  std::vector<double> wide;
  for (half v : xh) wide.push_back(to_double(v));
  std::vector<half> y(x.size());
  std::vector<double> yw(x.size());
  cpu::derivative<half>(p, 4, xh.data(), y.data(), xh.size(), 1);
  cpu::derivative<double>(p, 4, wide.data(), yw.data(), wide.size(), 1);
  for (std::size_t i = 0; i < x.size(); ++i)
    ASSERT_EQ(bits_of(y[i]), bits_of(round_once<half>(yw[i]))) << i;  // one rounding, not two
}

TEST(DerivativeKernel, BadOrdersAreRefused) {
  double x = 1, y;
  EXPECT_THROW(cpu::derivative<double>(make_egem(1, 0.1), -1, &x, &y, 1), std::invalid_argument);
  EXPECT_THROW(cpu::derivative<double>(make_egem(1, 0.1), kMaxDerivativeOrder + 1, &x, &y, 1), std::invalid_argument);
}

}  // namespace
}  // namespace gem::testing
