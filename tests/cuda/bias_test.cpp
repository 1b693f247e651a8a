// gem::cuda bias_forward and bias_backward against the unfused pair composed on the CPU:
// z = x + bias (rounded to the storage type), then gem::cpu::forward / backward on z (same
// bits), and grad_bias against the exact column sums of grad_x (float accumulation error
// bound). Shapes narrower and wider than a warp, channels that break vector alignment,
// misaligned pointers, rows = 0, in place, determinism, and the workspace contract.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "cuda/accuracy.h"
#include "cuda/device_array.h"
#include "gem/numeric.h"
#include "gem/params.h"
#include "gem/cpu/kernels.h"
#include "src/cuda/kernels.h"

namespace gem {
namespace {

using testing::DeviceArray;
using testing::as_double;
using testing::describe;
using testing::draw_inputs;
using testing::same_value;

void sync() { testing::cuda_ok(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }

/// z = x + bias as the unfused pair stores it: the sum in the math type, rounded to T.
template <class T>
std::vector<T> biased(const std::vector<T>& x, const std::vector<T>& bias, std::size_t channels) {
  std::vector<T> z(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const opmath_t<T> s = static_cast<opmath_t<T>>(x[i]) + static_cast<opmath_t<T>>(bias[i % channels]);
    z[i] = static_cast<T>(s);
  }
  return z;
}

/// Inputs near the activation's scale (so the bias matters), with a few specials.
template <class T>
std::vector<T> bias_inputs(std::size_t n, std::uint32_t seed) {
  std::vector<T> x = draw_inputs<T>(n, seed);
  std::mt19937 rng(seed + 1);
  std::uniform_real_distribution<double> u(-3.0, 3.0);
  for (std::size_t i = 11; i < n; ++i)
    if (rng() % 4 != 0) x[i] = testing::from_double<T>(u(rng));  // mostly moderate values
  return x;
}

template <class T>
std::vector<T> moderate(std::size_t n, std::uint32_t seed, double lo, double hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<T> v(n);
  for (auto& e : v) e = testing::from_double<T>(u(rng));
  return v;
}

/// Bound on |grad_bias - exact column sum|: accumulation in float (double for T = double) over
/// `rows` terms, then one rounding to T (relative half-ulp plus half the subnormal spacing).
template <class T>
double column_sum_tolerance(std::size_t rows, double sum, double abs_sum) {
  const double u_acc = std::is_same_v<T, double> ? 0x1p-53 : 0x1p-24;
  double u_store, tiny;
  if constexpr (std::is_same_v<T, double>) u_store = 0x1p-53, tiny = 0x1p-1074;
  else if constexpr (std::is_same_v<T, float>) u_store = 0x1p-24, tiny = 0x1p-150;
  else if constexpr (std::is_same_v<T, half>) u_store = 0x1p-11, tiny = 0x1p-25;
  else u_store = 0x1p-8, tiny = 0x1p-134;
  const double accumulated = static_cast<double>(rows) * u_acc * abs_sum;
  return accumulated + u_store * (std::fabs(sum) + accumulated) + tiny;
}

struct Shape {
  std::size_t rows, channels;
};

/// x, bias and grad_out of one case of shape s, drawn from seeds seed, seed + 1 and seed + 2.
template <class T>
struct BiasCase {
  std::vector<T> x, bias, go;
  BiasCase(const Shape& s, std::uint32_t seed)
      : x(bias_inputs<T>(s.rows * s.channels, seed)),
        bias(moderate<T>(s.channels, seed + 1, -1.0, 1.0)),
        go(moderate<T>(s.rows * s.channels, seed + 2, -2.0, 2.0)) {}
};

template <class T>
struct BiasRun {
  std::vector<T> y, grad_x, grad_bias;
};

/// Forward and backward on the GPU with the given element offsets for every pointer.
template <class T>
BiasRun<T> run_bias(const Params& p, const std::vector<T>& x, const std::vector<T>& bias, const std::vector<T>& go,
                    Shape s, std::size_t offset) {
  DeviceArray<T> dx(x, offset), db(bias, offset), dgo(go, offset);
  DeviceArray<T> dy(x.size(), offset), dgx(x.size(), offset), dgb(s.channels, offset);
  cuda::bias_forward<T>(p, dx.data(), db.data(), dy.data(), s.rows, s.channels, nullptr);
  const std::size_t ws_bytes = cuda::bias_backward_workspace_bytes<T>(s.rows, s.channels);
  void* ws = nullptr;
  if (ws_bytes > 0) testing::cuda_ok(cudaMalloc(&ws, ws_bytes), "cudaMalloc workspace");
  cuda::bias_backward<T>(p, dgo.data(), dx.data(), db.data(), dgx.data(), dgb.data(), s.rows, s.channels, ws, ws_bytes,
                         nullptr);
  sync();
  cudaFree(ws);
  EXPECT_TRUE(dy.guards_intact() && dgx.guards_intact() && dgb.guards_intact()) << "wrote outside the arrays";
  return {dy.download(), dgx.download(), dgb.download()};
}

template <class T>
using CudaBias = testing::CudaTest<T>;
TYPED_TEST_SUITE(CudaBias, testing::StorageTypes, testing::StorageTypeName);

TYPED_TEST(CudaBias, MatchesUnfusedPairOnTheCpu) {
  using T = TypeParam;
  const Shape shapes[] = {{1, 1}, {7, 3}, {64, 16}, {333, 64}, {50, 1000}, {1000, 17}, {3, 4096}, {20000, 32}};
  const Params params[] = {make_egem(1, 1e-4), make_segem(3, 10.0), make_gem(8), make_segem(2, 1e-300)};
  for (const Shape& s : shapes) {
    const std::size_t n = s.rows * s.channels;
    const std::vector<T> x = bias_inputs<T>(n, static_cast<std::uint32_t>(n));
    const std::vector<T> bias = moderate<T>(s.channels, 5, -1.0, 1.0);
    const std::vector<T> go = moderate<T>(n, 6, -2.0, 2.0);
    const std::vector<T> z = biased(x, bias, s.channels);
    for (const Params& p : params) {
      std::vector<T> want_y(n), want_gx(n);
      cpu::forward<T>(p, z.data(), want_y.data(), n);
      cpu::backward<T>(p, go.data(), z.data(), want_gx.data(), n);
      for (std::size_t offset : {std::size_t(0), std::size_t(1)}) {
        const BiasRun<T> got = run_bias<T>(p, x, bias, go, s, offset);
        std::size_t differ_y = 0, differ_gx = 0;
        for (std::size_t i = 0; i < n; ++i) {
          differ_y += !same_value(got.y[i], want_y[i]);
          differ_gx += !same_value(got.grad_x[i], want_gx[i]);
        }
        const std::string where = std::string(testing::dtype_name<T>()) + " " + describe(p) + " rows=" +
                                  std::to_string(s.rows) + " channels=" + std::to_string(s.channels) +
                                  " offset=" + std::to_string(offset);
        EXPECT_EQ(differ_y, 0u) << where << ": y differs from forward(x + bias)";
        EXPECT_EQ(differ_gx, 0u) << where << ": grad_x differs from backward(grad_out, x + bias)";
        // grad_bias: the column sums of the stored grad_x, accumulated in float (double for
        // double) and rounded once to T: |error| <= rows u_acc sum|grad_x| plus one rounding.
        std::size_t bad = 0;
        std::ostringstream first;
        first.precision(17);
        for (std::size_t c = 0; c < s.channels; ++c) {
          double sum = 0, abs_sum = 0;
          bool special = false;
          for (std::size_t r = 0; r < s.rows; ++r) {
            const double v = as_double(got.grad_x[r * s.channels + c]);
            special = special || !std::isfinite(v);
            sum += v;
            abs_sum += std::fabs(v);
          }
          const double gb = as_double(got.grad_bias[c]);
          if (special) {  // a NaN or inf in the column: the sum is not finite either
            bad += std::isfinite(gb);
            continue;
          }
          const double tol = column_sum_tolerance<T>(s.rows, sum, abs_sum);
          if (!(std::fabs(gb - sum) <= tol) && bad++ == 0)
            first << "channel " << c << ": got " << gb << ", column sum " << sum << ", tolerance " << tol;
        }
        EXPECT_EQ(bad, 0u) << where << ": grad_bias differs from the column sums of grad_x; " << first.str();
      }
    }
  }
}

// The same inputs give the same bytes (no atomics: a fixed split and fixed-order sums).
TYPED_TEST(CudaBias, GradBiasIsDeterministic) {
  using T = TypeParam;
  const Shape s{1 << 16, 48};
  const auto& [x, bias, go] = BiasCase<T>(s, 21);
  const Params p = make_egem(2, 1e-2);
  const BiasRun<T> a = run_bias<T>(p, x, bias, go, s, 0);
  const BiasRun<T> b = run_bias<T>(p, x, bias, go, s, 0);
  for (std::size_t c = 0; c < s.channels; ++c)
    EXPECT_TRUE(std::memcmp(&a.grad_bias[c], &b.grad_bias[c], sizeof(T)) == 0) << "channel " << c;
}

TYPED_TEST(CudaBias, InPlace) {
  using T = TypeParam;
  const Shape s{129, 24};
  const std::size_t n = s.rows * s.channels;
  const auto& [x, bias, go] = BiasCase<T>(s, 31);
  const Params p = make_segem(1, 1e-4);
  const BiasRun<T> want = run_bias<T>(p, x, bias, go, s, 0);
  DeviceArray<T> dx(x, 0), db(bias, 0), dgo(go, 0), dgb(s.channels, 0);
  cuda::bias_forward<T>(p, dx.data(), db.data(), dx.data(), s.rows, s.channels, nullptr);  // y = x
  sync();
  const std::vector<T> y = dx.download();
  dx.upload(x);
  const std::size_t ws_bytes = cuda::bias_backward_workspace_bytes<T>(s.rows, s.channels);
  void* ws = nullptr;
  testing::cuda_ok(cudaMalloc(&ws, ws_bytes), "cudaMalloc workspace");
  cuda::bias_backward<T>(p, dgo.data(), dx.data(), db.data(), dgo.data(), dgb.data(), s.rows, s.channels, ws, ws_bytes,
                         nullptr);  // grad_x = grad_out
  sync();
  cudaFree(ws);
  const std::vector<T> gx = dgo.download(), gb = dgb.download();
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_TRUE(same_value(y[i], want.y[i])) << i;
    EXPECT_TRUE(same_value(gx[i], want.grad_x[i])) << i;
  }
  for (std::size_t c = 0; c < s.channels; ++c) EXPECT_TRUE(same_value(gb[c], want.grad_bias[c])) << c;
}

// No rows: grad_bias is an empty sum, +0; nothing else is touched.
TYPED_TEST(CudaBias, NoRowsGivesZeroGradBias) {
  using T = TypeParam;
  DeviceArray<T> dgb(37, 0);
  const Params p = make_egem(1, 1e-4);
  EXPECT_EQ(cuda::bias_backward_workspace_bytes<T>(0, 37), 0u);
  cuda::bias_backward<T>(p, nullptr, nullptr, nullptr, nullptr, dgb.data(), 0, 37, nullptr, 0, nullptr);
  cuda::bias_forward<T>(p, nullptr, nullptr, nullptr, 0, 37, nullptr);
  sync();
  for (const T& v : dgb.download()) EXPECT_EQ(as_double(v), 0.0);
  EXPECT_TRUE(dgb.guards_intact());
}

TYPED_TEST(CudaBias, SmallWorkspaceIsRefused) {
  using T = TypeParam;
  const Shape s{4096, 64};
  DeviceArray<T> d(s.rows * s.channels, 0), db(s.channels, 0), dgb(s.channels, 0);
  const std::size_t need = cuda::bias_backward_workspace_bytes<T>(s.rows, s.channels);
  ASSERT_GT(need, 0u);
  void* ws = nullptr;
  testing::cuda_ok(cudaMalloc(&ws, need), "cudaMalloc workspace");
  const Params p = make_egem(1, 1e-4);
  EXPECT_THROW(cuda::bias_backward<T>(p, d.data(), d.data(), db.data(), d.data(), dgb.data(), s.rows, s.channels, ws,
                                      16, nullptr),
               std::invalid_argument);
  EXPECT_THROW(cuda::bias_backward<T>(p, d.data(), d.data(), db.data(), d.data(), dgb.data(), s.rows, s.channels,
                                      nullptr, need, nullptr),
               std::invalid_argument);
  cudaFree(ws);
}

}  // namespace
}  // namespace gem
