// Every golden row (spec 7) through the CPU kernels, for every dtype and every SIMD target
// compiled in, and through the scalar reference:
//   float64: every row; float32: the rows where (float)x == x; both within the bounds of
//   spec 3.4 of the exact values.  float16 / bfloat16: x rounded to the type first, compared
//   with the binary64 reference (include/gem/act/gem.h) at the rounded x, within 1 ulp of the
//   16-bit format at that value (no allowance for the cancelling zeros of f' and f'' is needed
//   at 16-bit precision).
// f from forward, f' from backward with grad_out = 1, f'' from backward_grad2 with grad = 1.
// Rows are grouped by (variant, N, eps) into one array per call, so full vectors and tails
// both see golden values.
#include <gtest/gtest.h>

#include <map>
#include <tuple>
#include <vector>

#include "cpu/test_support.h"
#include "gem/act/gem.h"
#include "gem/act/gem_constants.h"

namespace gem::testing {
namespace {

struct Case {
  Params params;
  std::vector<GoldenRow> rows;
};

std::vector<Case> golden_cases() {
  std::map<std::tuple<int, int, double>, Case> groups;
  for (const GoldenRow& r : load_golden()) {
    auto& c = groups[{static_cast<int>(r.variant), r.N, r.eps}];
    c.params = Params{r.variant, r.N, r.eps};
    c.rows.push_back(r);
  }
  std::vector<Case> out;
  for (auto& [key, c] : groups) out.push_back(std::move(c));
  return out;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> c = golden_cases();
  return c;
}

/// The three kernel outputs for x (which: f, f', f'').
template <class T>
std::vector<std::vector<T>> run_kernels(const Params& p, const std::vector<T>& x, bool reference) {
  const std::size_t n = x.size();
  const std::vector<T> ones(n, from_double<T>(1.0));
  std::vector<std::vector<T>> out(3, std::vector<T>(n, from_double<T>(NAN)));
  if (reference) {
    cpu::reference::forward(p, x.data(), out[0].data(), n);
    cpu::reference::backward(p, ones.data(), x.data(), out[1].data(), n);
    cpu::reference::backward_grad2(p, ones.data(), x.data(), out[2].data(), n);
  } else {
    cpu::forward(p, x.data(), out[0].data(), n, 1);
    cpu::backward(p, ones.data(), x.data(), out[1].data(), n, 1);
    cpu::backward_grad2(p, ones.data(), x.data(), out[2].data(), n, 1);
  }
  return out;
}

/// binary64 / binary32: against the exact golden values with the bounds of spec 3.4.
template <class T>
void check_golden_binary(bool reference) {
  std::size_t checked = 0;
  double worst[3] = {0, 0, 0};
  for (const Case& c : cases()) {
    std::vector<T> x;
    std::vector<const GoldenRow*> rows;
    for (const GoldenRow& r : c.rows) {
      if (static_cast<double>(static_cast<T>(r.x)) != r.x) continue;  // not held exactly by T
      x.push_back(static_cast<T>(r.x));
      rows.push_back(&r);
    }
    const auto out = run_kernels<T>(c.params, x, reference);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const GoldenRow& r = *rows[i];
      const double exact[3] = {r.f, r.df, r.d2f};
      for (int w = 0; w < 3; ++w) {
        const double y = out[w][i];
        const double M = cancel_magnitude(r.variant, r.N, r.eps, r.x, w, exact[w]);
        const double err = error_ulps<T>(y, exact[w], M);
        worst[w] = std::fmax(worst[w], err);
        EXPECT_LE(err, bound_ulps(r.N, w))
            << Format<T>::name << ' ' << describe(c.params) << " x=" << format_double(r.x) << " which=" << w
            << " got " << format_double(y) << " exact " << format_double(exact[w]);
        if (exact[w] == 0 && y == 0 && w == 0) {
          EXPECT_EQ(std::signbit(y), std::signbit(exact[w])) << "sign of zero, x=" << format_double(r.x);
        }
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 4000u);
  ::testing::Test::RecordProperty("worst_ulps_f_df_d2f", format_double(worst[0]) + " " + format_double(worst[1]) +
                                                             " " + format_double(worst[2]));
}

/// 16-bit storage: against binary64 at the rounded x, within one ulp of the 16-bit format.
template <class T>
void check_golden_16bit(bool reference) {
  std::size_t checked = 0;
  for (const Case& c : cases()) {
    std::vector<T> x;
    for (const GoldenRow& r : c.rows) x.push_back(from_double<T>(r.x));
    const auto out = run_kernels<T>(c.params, x, reference);
    const GemConstants<double> k = make_constants<double>(c.params);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double xr = to_double(x[i]);
      const Derivs<double> d = gem_derivs(c.params.variant, xr, k);
      const double want[3] = {d.f, d.df, d.d2f};
      for (int w = 0; w < 3; ++w) {
        const double y = to_double(out[w][i]);
        const double rounded = to_double(from_double<T>(want[w]));
        bool ok;
        if (std::isinf(rounded) || std::isinf(y)) {
          ok = y == rounded || (std::isinf(y) && std::fabs(want[w]) >= Format<T>::max);
        } else {
          ok = std::fabs(y - want[w]) <= ulp_in<T>(want[w]);
        }
        EXPECT_TRUE(ok) << Format<T>::name << ' ' << describe(c.params) << " x=" << format_double(xr)
                        << " which=" << w << " got " << format_double(y) << " binary64 " << format_double(want[w]);
        if (w == 0 && y == 0 && want[w] == 0) EXPECT_EQ(std::signbit(y), std::signbit(want[w]));
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 5170u);
}

TEST(GoldenKernels, Float64EveryTarget) {
  for_each_simd_target([] { check_golden_binary<double>(false); });
}
TEST(GoldenKernels, Float32EveryTarget) {
  for_each_simd_target([] { check_golden_binary<float>(false); });
}
TEST(GoldenKernels, Float16EveryTarget) {
  for_each_simd_target([] { check_golden_16bit<half>(false); });
}
TEST(GoldenKernels, BFloat16EveryTarget) {
  for_each_simd_target([] { check_golden_16bit<bfloat16>(false); });
}

TEST(GoldenReference, EveryDtype) {
  check_golden_binary<double>(true);
  check_golden_binary<float>(true);
  check_golden_16bit<half>(true);
  check_golden_16bit<bfloat16>(true);
}

}  // namespace
}  // namespace gem::testing
