// The kernels of a learnable eps (kernels.h): df/deps on SIMD lanes against the scalar
// algorithm, eps_grads (grad_in and the sum of grad_out df/deps in one pass) against backward
// and a binary64 sum, the same bits for any thread count, and one eps per channel against the
// one-eps kernels element by element, for both layouts (long runs in place, short runs gathered).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cpu/test_support.h"
#include "gem/cpu/kernels.h"

namespace gem::testing {
namespace {

template <class T>
class EpsKernels : public ::testing::Test {};
TYPED_TEST_SUITE(EpsKernels, StorageTypes, StorageTypeName);

std::vector<Params> eps_params(int N) {
  return {make_gem(N),         make_egem(N, 1e-4), make_segem(N, 1e-4), make_egem(N, 10.0),
          make_segem(N, 0.37), make_egem(N, 1e-30)};  // the last is outside binary32's normal range: binary64 for float
}

// Two paths that each meet df/deps's bound (2N+6 ulps in the working format) differ by at most
// twice that, plus one ulp of T for each narrowing.
template <class T>
bool close(int N, double a, double b) {
  using W = std::conditional_t<std::is_same_v<T, double>, double, float>;
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  const double m = std::fmax(std::fabs(a), std::fabs(b));
  return std::fabs(a - b) <= 2 * (2 * N + 7) * ulp_in<W>(m) + 2 * ulp_in<T>(m);
}

std::vector<double> normal_values(std::size_t n, std::uint64_t seed, double scale) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, scale);
  std::vector<double> v(n);
  for (double& x : v) x = normal(rng);
  return v;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

template <class T>
std::vector<T> as(const std::vector<double>& v) {
  std::vector<T> out;
  for (double x : v) out.push_back(from_double<T>(x));
  return out;
}

TYPED_TEST(EpsKernels, DfDepsOnLanesMatchesTheScalarAlgorithm) {
  using T = TypeParam;
  const std::vector<T> x = random_inputs<T>(3001, 17);
  for_each_simd_target([&] {
    for (int N = 1; N <= 8; ++N)
      for (const Params& p : eps_params(N)) {
        std::vector<T> simd(x.size()), scalar(x.size());
        cpu::eps_partial<T>(p, Quantity::df_deps, x.data(), simd.data(), x.size(), 1);
        cpu::reference::eps_partial<T>(p, Quantity::df_deps, x.data(), scalar.data(), x.size());
        int bad = 0;
        for (std::size_t i = 0; i < x.size() && bad < 5; ++i)
          if (!close<T>(N, to_double(simd[i]), to_double(scalar[i]))) {
            ++bad;
            ADD_FAILURE() << describe(p) << " x=" << to_double(x[i]) << " simd " << to_double(simd[i]) << " scalar "
                          << to_double(scalar[i]);
          }
        // The second derivatives in eps are the scalar algorithm itself.
        for (const Quantity which : {Quantity::d2f_dx_deps, Quantity::d2f_deps2}) {
          cpu::eps_partial<T>(p, which, x.data(), simd.data(), x.size(), 2);
          cpu::reference::eps_partial<T>(p, which, x.data(), scalar.data(), x.size());
          for (std::size_t i = 0; i < x.size(); ++i)
            ASSERT_EQ(bits_of(simd[i]), bits_of(scalar[i])) << describe(p) << " x=" << to_double(x[i]);
        }
      }
  });
}

TYPED_TEST(EpsKernels, EpsGradsIsBackwardAndTheSumOfGradTimesDfDeps) {
  using T = TypeParam;
  const std::size_t n = 100003;  // several chunks, and a tail
  const std::vector<T> x = as<T>(normal_values(n, 3, 1.5)), g = as<T>(normal_values(n, 4, 1.0));
  for_each_simd_target([&] {
    for (const Params& p : {make_egem(1, 1e-4), make_segem(2, 0.3), make_gem(3), make_egem(2, 1e-30)}) {
      std::vector<T> grad_in(n), expected(n), grad_in2(n);
      const double sum = cpu::eps_grads<T>(p, g.data(), x.data(), grad_in.data(), n, 1);
      cpu::backward<T>(p, g.data(), x.data(), expected.data(), n, 1);
      for (std::size_t i = 0; i < n; ++i)
        ASSERT_EQ(bits_of(grad_in[i]), bits_of(expected[i])) << describe(p) << " " << i;
      // The sum against binary64 products of the scalar algorithm's values in the math type
      // (the kernel sums them before any narrowing to T).
      using W = opmath_t<T>;
      std::vector<W> xw(n), fe(n);
      for (std::size_t i = 0; i < n; ++i) xw[i] = static_cast<W>(to_double(x[i]));
      cpu::reference::eps_partial<W>(p, Quantity::df_deps, xw.data(), fe.data(), n);
      double exact = 0, magnitude = 0;
      for (std::size_t i = 0; i < n; ++i) {
        exact += to_double(g[i]) * fe[i];
        magnitude += std::fabs(to_double(g[i]) * fe[i]);
      }
      const double rel = std::is_same_v<T, double> ? 1e-12 : 2e-5;
      EXPECT_NEAR(sum, exact, rel * magnitude + 1e-300) << describe(p);
      // The same bits for any thread count.
      const double sum2 = cpu::eps_grads<T>(p, g.data(), x.data(), grad_in2.data(), n, 2);
      EXPECT_EQ(bits_of(sum), bits_of(sum2)) << describe(p);
      EXPECT_TRUE(same_bits(grad_in, grad_in2));
    }
  });
}

// The channel kernels against the one-eps kernels called on single elements.
// Channel c's eps is 10^(c % 6 - 4); `tiny`, when given, replaces channel 1's by one outside
// binary32's range, so that the call needs the binary64 reference for that channel.
template <class T>
void check_channels(std::size_t channels, std::size_t inner, std::size_t groups, double tiny = 0.0) {
  const std::size_t n = channels * inner * groups;
  const std::vector<T> x = as<T>(normal_values(n, 11, 2.0)), g = as<T>(normal_values(n, 12, 1.0));
  std::vector<double> eps(channels);
  for (std::size_t c = 0; c < channels; ++c) eps[c] = std::pow(10.0, -4.0 + static_cast<double>(c % 6));
  if (tiny > 0.0 && channels > 1) eps[1] = tiny;
  for (const Variant v : {Variant::egem, Variant::segem}) {
    const cpu::ChannelEps a{v, 2, eps.data(), channels, inner};
    const auto channel_of = [&](std::size_t i) { return (i / inner) % channels; };
    std::vector<T> y(n), gi(n), g2(n), fe(n), gi_two(n);
    std::vector<double> eg(channels), eg_two(channels);
    cpu::forward<T>(a, x.data(), y.data(), n, 1);
    cpu::backward_grad2<T>(a, g.data(), x.data(), g2.data(), n, 1);
    cpu::eps_partial<T>(a, Quantity::df_deps, x.data(), fe.data(), n, 1);
    cpu::eps_grads<T>(a, g.data(), x.data(), gi.data(), eg.data(), n, 1);
    std::vector<double> expected_eg(channels, 0.0), magnitude(channels, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      const Params p = make_params(v, 2, eps[channel_of(i)]);
      T e[4];
      cpu::forward<T>(p, &x[i], &e[0], 1, 1);
      cpu::backward<T>(p, &g[i], &x[i], &e[1], 1, 1);
      cpu::backward_grad2<T>(p, &g[i], &x[i], &e[2], 1, 1);
      cpu::eps_partial<T>(p, Quantity::df_deps, &x[i], &e[3], 1, 1);
      ASSERT_EQ(bits_of(y[i]), bits_of(e[0])) << "forward, element " << i;
      ASSERT_EQ(bits_of(gi[i]), bits_of(e[1])) << "eps_grads' grad_in, element " << i;
      ASSERT_EQ(bits_of(g2[i]), bits_of(e[2])) << "backward_grad2, element " << i;
      ASSERT_EQ(bits_of(fe[i]), bits_of(e[3])) << "eps_partial, element " << i;
      using W = opmath_t<T>;  // the sums are taken before narrowing to T
      const W xw = static_cast<W>(to_double(x[i]));
      W fw;
      cpu::eps_partial<W>(p, Quantity::df_deps, &xw, &fw, 1, 1);
      expected_eg[channel_of(i)] += to_double(g[i]) * fw;
      magnitude[channel_of(i)] += std::fabs(to_double(g[i]) * fw);
    }
    const double rel = std::is_same_v<T, double> ? 1e-12 : 2e-5;
    for (std::size_t c = 0; c < channels; ++c) EXPECT_NEAR(eg[c], expected_eg[c], rel * magnitude[c] + 1e-300) << c;
    cpu::eps_grads<T>(a, g.data(), x.data(), gi_two.data(), eg_two.data(), n, 2);
    for (std::size_t c = 0; c < channels; ++c)
      EXPECT_EQ(bits_of(eg[c]), bits_of(eg_two[c])) << "threads changed channel " << c;
    EXPECT_TRUE(same_bits(gi, gi_two));
  }
}

TYPED_TEST(EpsKernels, OneEpsPerChannelInBothLayouts) {
  check_channels<TypeParam>(3, 1, 50);          // a transformer's features: constants on lanes
  check_channels<TypeParam>(37, 1, 600);        // several slabs of rows, two threads, a partial block
  check_channels<TypeParam>(37, 1, 20, 1e-42);  // a channel needs binary64: gathered instead
  check_channels<TypeParam>(4, 3, 20);          // short runs: gathered
  check_channels<TypeParam>(20, 5, 200);        // more channels than a tile, two threads
  check_channels<TypeParam>(3, 100, 4);         // feature maps: run by run in place
  check_channels<TypeParam>(1, 1, 500);         // one eps
}

TEST(EpsKernels, BadChannelLayoutsAreRefused) {
  const double eps[2] = {0.1, 0.2};
  float x[6] = {}, y[6];
  EXPECT_THROW(cpu::forward<float>(cpu::ChannelEps{Variant::egem, 1, eps, 2, 2}, x, y, 6), std::invalid_argument);
  EXPECT_THROW(cpu::forward<float>(cpu::ChannelEps{Variant::egem, 1, nullptr, 2, 1}, x, y, 6), std::invalid_argument);
  const double bad[2] = {0.1, -1.0};
  EXPECT_THROW(cpu::forward<float>(cpu::ChannelEps{Variant::egem, 1, bad, 2, 1}, x, y, 6), std::invalid_argument);
}

// eps_partial computes the eps-derivatives only: another Quantity is a caller's mistake.
TEST(EpsKernels, EpsPartialRefusesTheXDerivatives) {
  const double eps[2] = {0.1, 0.2};
  float x[4] = {1, 2, 3, 4}, y[4];
  const Params p = make_egem(1, 1e-4);
  for (const Quantity q : {Quantity::value, Quantity::grad, Quantity::grad2}) {
    EXPECT_THROW(cpu::eps_partial<float>(p, q, x, y, 4), std::invalid_argument);
    EXPECT_THROW(cpu::reference::eps_partial<float>(p, q, x, y, 4), std::invalid_argument);
    EXPECT_THROW(cpu::eps_partial<float>(cpu::ChannelEps{Variant::egem, 1, eps, 2, 2}, q, x, y, 4),
                 std::invalid_argument);
  }
}

}  // namespace
}  // namespace gem::testing
