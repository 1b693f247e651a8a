// The gated (GLU) kernels, for every dtype and SIMD target, on rows of [a | b]:
//   - every golden row as a with b = 1 (and grad_out = 1): the bits of forward and backward,
//     which golden_kernels_test holds to the golden values;
//   - random a, b, grad_out of every class against the binary64 reference: y is b f(a), grad_a
//     is (grad_out b) f'(a) and grad_b is grad_out f(a), each within the tolerance of a scaled
//     f or f' (within_tolerance: the factor's scale, one more rounding to the storage type);
//   - double and float: the bits of the unfused chain of the same kernels;
//   - rows of every length around the block sizes, 1 vs 2 threads the same bytes, streamed
//     (non-temporal) stores the same bytes as plain ones;
//   - eps outside binary32's range: the binary64 reference rounded once.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <tuple>
#include <vector>

#include "cpu/test_support.h"
#include "gem/act/gem.h"
#include "gem/act/gem_constants.h"
#include "gem/round_once.h"
#include "src/cpu/tuning.h"

namespace gem::testing {
namespace {

/// Row lengths around every block size of every target (2..16 float lanes, 32 paired bfloat16).
const std::size_t kChannels[] = {1, 2, 3, 7, 8, 9, 16, 17, 31, 32, 33, 100};

/// x = [a | b] row by row from separate a and b (rows x C each).
template <class T>
std::vector<T> interleave_rows(const std::vector<T>& a, const std::vector<T>& b, std::size_t rows, std::size_t C) {
  std::vector<T> x(2 * rows * C);
  for (std::size_t r = 0; r < rows; ++r) {
    std::memcpy(&x[2 * r * C], &a[r * C], C * sizeof(T));
    std::memcpy(&x[2 * r * C + C], &b[r * C], C * sizeof(T));
  }
  return x;
}

/// The same bits, except that any NaN matches any NaN: x86 gives the NaN of one operand of a
/// product, and which one the compiler puts first is not fixed.
template <class T>
::testing::AssertionResult same_bits(const std::vector<T>& u, const std::vector<T>& v) {
  if (u.size() != v.size()) return ::testing::AssertionFailure() << "sizes " << u.size() << " and " << v.size();
  for (std::size_t i = 0; i < u.size(); ++i)
    if (bits_of(u[i]) != bits_of(v[i]) && !(std::isnan(to_double(u[i])) && std::isnan(to_double(v[i]))))
      return ::testing::AssertionFailure() << "element " << i << ": " << to_double(u[i]) << " vs " << to_double(v[i]);
  return ::testing::AssertionSuccess();
}

template <class T>
class GatedKernels : public ::testing::Test {};
TYPED_TEST_SUITE(GatedKernels, StorageTypes, StorageTypeName);

TYPED_TEST(GatedKernels, GoldenRowsWithUnitGateAreTheKernelsBits) {
  using T = TypeParam;
  std::map<std::tuple<int, int, double>, std::vector<double>> groups;
  for (const GoldenRow& r : load_golden()) groups[{static_cast<int>(r.variant), r.N, r.eps}].push_back(r.x);
  for_each_simd_target([&] {
    for (const auto& [key, xs] : groups) {
      const Params p{static_cast<Variant>(std::get<0>(key)), std::get<1>(key), std::get<2>(key)};
      SCOPED_TRACE(describe(p));
      const std::size_t C = xs.size();
      std::vector<T> a(C);
      for (std::size_t i = 0; i < C; ++i) a[i] = from_double<T>(xs[i]);
      const std::vector<T> ones(C, from_double<T>(1.0));
      const std::vector<T> x = interleave_rows(a, ones, 1, C);
      std::vector<T> f(C), df(C), y(C), grads(2 * C);
      cpu::forward(p, a.data(), f.data(), C, 1);
      cpu::backward(p, ones.data(), a.data(), df.data(), C, 1);
      cpu::gated_forward(p, x.data(), y.data(), 1, C, 1);
      cpu::gated_backward(p, ones.data(), x.data(), grads.data(), 1, C, 1);
      EXPECT_TRUE(same_bits(y, f)) << "gated_forward with b = 1 is not forward";
      EXPECT_TRUE(same_bits(std::vector<T>(grads.begin(), grads.begin() + C), df)) << "grad_a with b = 1 is not f'";
      EXPECT_TRUE(same_bits(std::vector<T>(grads.begin() + C, grads.end()), f)) << "grad_b with grad_out = 1 is not f";
    }
  });
}

template <class T>
struct GatedCase {
  std::size_t rows, C;
  std::vector<T> a, b, g, x;
};

template <class T>
GatedCase<T> random_case(std::size_t rows, std::size_t C, std::uint64_t seed) {
  GatedCase<T> c{rows,
                 C,
                 random_inputs<T>(rows * C, seed),
                 random_inputs<T>(rows * C, seed + 1),
                 random_inputs<T>(rows * C, seed + 2),
                 {}};
  c.x = interleave_rows(c.a, c.b, rows, C);
  return c;
}

/// Checks one output element k against reference r = factor * f(x) or factor * f'(x).
template <class T>
void expect_within(const Params& p, Quantity which, double x, double factor, T k, double v64, const char* what) {
  const double r = to_double(round_once<T>(factor * v64));
  EXPECT_TRUE(within_tolerance<T>(p.variant, p.N, p.eps, x, which, factor, to_double(k), r, v64))
      << what << " at a = " << x << ", factor " << factor << ": kernel " << to_double(k) << ", reference " << r;
}

TYPED_TEST(GatedKernels, RandomRowsAgainstTheBinary64Reference) {
  using T = TypeParam;
  for_each_simd_target([&] {
    for (int N = 1; N <= kMaxOrder; ++N) {
      for (const Params& p : params_for(N)) {
        SCOPED_TRACE(describe(p));
        const GemConstants<double> c64 = make_constants<double>(p);
        for (const std::size_t C : {std::size_t(7), std::size_t(33)}) {
          const GatedCase<T> in = random_case<T>(3, C, 1000 * N + C);
          std::vector<T> y(in.rows * C), grads(2 * in.rows * C);
          cpu::gated_forward(p, in.x.data(), y.data(), in.rows, C, 1);
          cpu::gated_backward(p, in.g.data(), in.x.data(), grads.data(), in.rows, C, 1);
          for (std::size_t r = 0; r < in.rows; ++r) {
            for (std::size_t i = 0; i < C; ++i) {
              const double a = to_double(in.a[r * C + i]), b = to_double(in.b[r * C + i]);
              const double g = to_double(in.g[r * C + i]);
              const Derivs<double> d = gem_derivs(p.variant, a, c64);
              expect_within<T>(p, Quantity::value, a, b, y[r * C + i], d.f, "y");
              // grad_out * b is exact in the math type for 16-bit inputs (and rounds like the
              // unfused chain's for float and double): the factor of f'.
              using M = opmath_t<T>;
              const double gb = static_cast<double>(static_cast<M>(g) * static_cast<M>(b));
              expect_within<T>(p, Quantity::grad, a, gb, grads[2 * r * C + i], d.df, "grad_a");
              expect_within<T>(p, Quantity::value, a, g, grads[2 * r * C + C + i], d.f, "grad_b");
            }
          }
          if (::testing::Test::HasFailure()) return;
        }
      }
    }
  });
}

/// The unfused chain of the same kernels: forward(a) * b; (grad_out * b) then backward, grad_out * f(a).
template <class T>
void unfused(const Params& p, const GatedCase<T>& in, std::vector<T>& y, std::vector<T>& grads) {
  const std::size_t n = in.rows * in.C, C = in.C;
  std::vector<T> f(n), gb(n), ga(n);
  cpu::forward(p, in.a.data(), f.data(), n, 1);
  for (std::size_t i = 0; i < n; ++i) gb[i] = in.g[i] * in.b[i];
  cpu::backward(p, gb.data(), in.a.data(), ga.data(), n, 1);
  y.resize(n);
  grads.resize(2 * n);
  for (std::size_t r = 0; r < in.rows; ++r) {
    for (std::size_t i = 0; i < C; ++i) {
      y[r * C + i] = f[r * C + i] * in.b[r * C + i];
      grads[2 * r * C + i] = ga[r * C + i];
      grads[2 * r * C + C + i] = in.g[r * C + i] * f[r * C + i];
    }
  }
}

template <class T>
class GatedKernelsWide : public ::testing::Test {};
using WideTypes = ::testing::Types<double, float>;
TYPED_TEST_SUITE(GatedKernelsWide, WideTypes, StorageTypeName);

TYPED_TEST(GatedKernelsWide, SameBitsAsTheUnfusedChain) {
  using T = TypeParam;
  for_each_simd_target([&] {
    for (int N : {1, 2, 3, 8}) {
      for (const Params& p : params_for(N)) {
        SCOPED_TRACE(describe(p));
        for (const std::size_t C : kChannels) {
          const GatedCase<T> in = random_case<T>(4, C, 77 * N + C);
          std::vector<T> y(in.rows * C), grads(2 * in.rows * C), y_ref, grads_ref;
          cpu::gated_forward(p, in.x.data(), y.data(), in.rows, C, 1);
          cpu::gated_backward(p, in.g.data(), in.x.data(), grads.data(), in.rows, C, 1);
          unfused(p, in, y_ref, grads_ref);
          ASSERT_TRUE(same_bits(y, y_ref)) << "forward, C = " << C;
          ASSERT_TRUE(same_bits(grads, grads_ref)) << "backward, C = " << C;
        }
      }
    }
  });
}

TYPED_TEST(GatedKernels, ThreadCountDoesNotChangeABit) {
  using T = TypeParam;
  const Params p = make_egem(2, 1e-4);
  for (const std::size_t C : {std::size_t(3), std::size_t(1000), std::size_t(40000)}) {
    const std::size_t rows = 100000 / C + 1;
    const GatedCase<T> in = random_case<T>(rows, C, C);
    std::vector<T> y1(rows * C), y2(rows * C), g1(2 * rows * C), g2(2 * rows * C);
    cpu::gated_forward(p, in.x.data(), y1.data(), rows, C, 1);
    cpu::gated_forward(p, in.x.data(), y2.data(), rows, C, 2);
    cpu::gated_backward(p, in.g.data(), in.x.data(), g1.data(), rows, C, 1);
    cpu::gated_backward(p, in.g.data(), in.x.data(), g2.data(), rows, C, 2);
    EXPECT_TRUE(same_bits(y1, y2)) << "C = " << C;
    EXPECT_TRUE(same_bits(g1, g2)) << "C = " << C;
  }
}

// Outputs of at least tuning::kStreamMinBytes are stored non-temporally: the same bytes as row by
// row calls (each far below the threshold).
TYPED_TEST(GatedKernels, StreamedStoresGiveTheSameBytes) {
  using T = TypeParam;
  const Params p = make_segem(1, 1e-4);
  const std::size_t C = 1024, rows = cpu::tuning::kStreamMinBytes / (C * sizeof(T)) + 3;
  const GatedCase<T> in = random_case<T>(rows, C, 11);
  std::vector<T> y(rows * C), g(2 * rows * C), y_rows(rows * C), g_rows(2 * rows * C);
  cpu::gated_forward(p, in.x.data(), y.data(), rows, C, 2);
  cpu::gated_backward(p, in.g.data(), in.x.data(), g.data(), rows, C, 2);
  for (std::size_t r = 0; r < rows; ++r) {
    cpu::gated_forward(p, in.x.data() + 2 * r * C, y_rows.data() + r * C, 1, C, 1);
    cpu::gated_backward(p, in.g.data() + r * C, in.x.data() + 2 * r * C, g_rows.data() + 2 * r * C, 1, C, 1);
  }
  EXPECT_TRUE(same_bits(y, y_rows));
  EXPECT_TRUE(same_bits(g, g_rows));
}

// double always computes in binary64, by the lane forms: only the other types fall back.
template <class T>
class GatedKernelsNarrow : public ::testing::Test {};
using NarrowTypes = ::testing::Types<float, half, bfloat16>;
TYPED_TEST_SUITE(GatedKernelsNarrow, NarrowTypes, StorageTypeName);

TYPED_TEST(GatedKernelsNarrow, EpsOutsideBinary32IsTheBinary64ReferenceRoundedOnce) {
  using T = TypeParam;
  for (const Params& p : {make_egem(1, 1e-300), make_segem(2, 1e300)}) {
    SCOPED_TRACE(describe(p));
    const GemConstants<double> c64 = make_constants<double>(p);
    const GatedCase<T> in = random_case<T>(2, 9, 5);
    std::vector<T> y(18), grads(36);
    cpu::gated_forward(p, in.x.data(), y.data(), 2, 9, 1);
    cpu::gated_backward(p, in.g.data(), in.x.data(), grads.data(), 2, 9, 1);
    for (std::size_t r = 0; r < 2; ++r) {
      for (std::size_t i = 0; i < 9; ++i) {
        const double a = to_double(in.a[r * 9 + i]), b = to_double(in.b[r * 9 + i]);
        const double g = to_double(in.g[r * 9 + i]);
        const Derivs<double> d = gem_derivs(p.variant, a, c64);
        const std::vector<T> got{y[r * 9 + i], grads[r * 18 + i], grads[r * 18 + 9 + i]};
        const std::vector<T> want{round_once<T>(d.f * b), round_once<T>((g * b) * d.df), round_once<T>(g * d.f)};
        EXPECT_TRUE(same_bits(got, want)) << "y, grad_a, grad_b at a = " << a;
      }
    }
  }
}

TEST(GatedKernelsArguments, BadParametersThrowBeforeTouchingMemory) {
  EXPECT_THROW(cpu::gated_forward<float>(Params{Variant::egem, 9, 1e-4}, nullptr, nullptr, 1, 1),
               std::invalid_argument);
  EXPECT_THROW(cpu::gated_backward<float>(Params{Variant::egem, 1, -1.0}, nullptr, nullptr, nullptr, 1, 1),
               std::invalid_argument);
  EXPECT_THROW(cpu::gated_forward<float>(make_egem(1, 1e-4), nullptr, nullptr, 1, 1, -1), std::invalid_argument);
  cpu::gated_forward<float>(make_egem(1, 1e-4), nullptr, nullptr, 0, 5);  // no rows: nothing read
}

}  // namespace
}  // namespace gem::testing
