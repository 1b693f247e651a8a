// Every golden row (spec 7) through the reference algorithm (gem.h) and the lane forms
// (gem_lanes.h), in binary64 and binary32, within the bounds of spec 3.4; and the 16-bit
// storage path (round x to half/bfloat16, evaluate in binary32, round once) within 1 ulp of
// the 16-bit format. Each test prints its worst error per (variant, N, quantity).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <type_traits>
#include <tuple>
#include <vector>

#include "common/golden.h"
#include "core/format16.h"
#include "core/lane_eval.h"
#include "gem/act/gem.h"

namespace gem {
namespace {

using testing::Format16;
using testing::GoldenRow;

const std::vector<GoldenRow>& golden() {
  static const std::vector<GoldenRow> rows = testing::load_golden();
  return rows;
}

const char* const kQuantity[] = {"f", "f'", "f''"};

double quantity(const GoldenRow& r, int q) { return q == 0 ? r.f : q == 1 ? r.df : r.d2f; }
template <class W>
W quantity(const Derivs<W>& d, int q) {
  return q == 0 ? d.f : q == 1 ? d.df : d.d2f;
}

bool exact_in_binary32(double x) { return static_cast<double>(static_cast<float>(x)) == x; }

std::string describe(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// Worst error (in ulps, spec 3.4 units) per (variant, N, quantity) of one evaluation path,
/// and every row beyond its bound.
class ErrorTable {
 public:
  explicit ErrorTable(std::string path) : path_(std::move(path)) {}

  void add(const GoldenRow& r, int q, double x, double got, double exact, double ulps, double bound) {
    Cell& c = cells_[{static_cast<int>(r.variant), r.N, q}];
    if (!c.seen || ulps > c.ulps) c = Cell{true, ulps, bound, r.eps, x, got, exact};
    ++checked_;
    if (!(ulps <= bound)) {
      if (failures_.size() < 20)
        failures_.push_back(std::string(variant_name(r.variant)) + " N=" + std::to_string(r.N) + " " + kQuantity[q] +
                            " eps=" + describe(r.eps) + " x=" + describe(x) + ": got " + describe(got) + ", exact " +
                            describe(exact) + " (" + describe(ulps) + " ulp > " + describe(bound) + ")");
      ++violations_;
    }
  }

  int violations() const { return violations_; }
  int checked() const { return checked_; }

  double worst(int q) const {
    double w = 0;
    for (const auto& [key, c] : cells_)
      if (std::get<2>(key) == q) w = std::fmax(w, c.ulps);
    return w;
  }

  std::string summary() const {
    std::string s = path_ + ": " + std::to_string(checked_) + " values, " + std::to_string(violations_) +
                    " beyond bound; worst per (variant, N, quantity):\n";
    for (const auto& [key, c] : cells_) {
      char line[320];
      std::snprintf(line, sizeof line, "  %-5s N=%d %-3s %7.3f ulp (bound %2.0f) at eps=%.9g x=%.9g\n",
                    variant_name(static_cast<Variant>(std::get<0>(key))), std::get<1>(key), kQuantity[std::get<2>(key)],
                    c.ulps, c.bound, c.eps, c.x);
      s += line;
    }
    for (const auto& f : failures_) s += "  FAIL " + f + "\n";
    return s;
  }

 private:
  struct Cell {
    bool seen = false;
    double ulps = 0, bound = 0, eps = 0, x = 0, got = 0, exact = 0;
  };
  std::string path_;
  std::map<std::tuple<int, int, int>, Cell> cells_;
  std::vector<std::string> failures_;
  int violations_ = 0, checked_ = 0;
};

/// Checks quantities [0, nq) of eval(row) (a Derivs<W>) on every row W can hold.
template <class W, class Eval>
ErrorTable check_golden(const std::string& path, int nq, Eval eval) {
  ErrorTable table(path);
  for (const GoldenRow& r : golden()) {
    if (sizeof(W) == sizeof(float) && !exact_in_binary32(r.x)) continue;
    const Derivs<W> y = eval(r);
    for (int q = 0; q < nq; ++q) {
      const double exact = quantity(r, q);
      const double M = testing::cancel_magnitude(r.variant, r.N, r.eps, r.x, q, exact);
      const double got = static_cast<double>(quantity(y, q));
      table.add(r, q, r.x, got, exact, testing::error_ulps<W>(got, exact, M), testing::bound_ulps(r.N, q));
    }
  }
  std::cout << table.summary();
  return table;
}

template <class W>
Derivs<W> reference_derivs(const GoldenRow& r) {
  return gem_derivs(r.variant, static_cast<W>(r.x), make_constants<W>(r.N, r.eps));
}

template <class W>
Derivs<W> lane_derivs(const GoldenRow& r) {
  const testing::LaneValues<W> y = testing::lane_values(r.variant, static_cast<W>(r.x), make_constants<W>(r.N, r.eps));
  return {y.f, y.df, W(0)};
}

TEST(Golden, FileHasEveryRowOfSpec7) {
  ASSERT_EQ(golden().size(), 5170u);
  int binary32_rows = 0;
  for (const GoldenRow& r : golden()) binary32_rows += exact_in_binary32(r.x);
  EXPECT_EQ(binary32_rows, 4730);  // spec 3.1: "the 4730 binary32 rows"
}

/// Every golden row exact in W (5170 in binary64, 4730 in binary32), `quantities` of each (f, f'
/// and f'' for gem.h, f and f' for the lane forms), all within spec 3.4's bounds.
template <class W, class Eval>
void expect_within_spec_bounds(const char* path, int quantities, const Eval& eval) {
  const ErrorTable t = check_golden<W>(path, quantities, eval);
  EXPECT_EQ(t.checked(), quantities * (std::is_same_v<W, double> ? 5170 : 4730));
  EXPECT_EQ(t.violations(), 0) << t.summary();
}

TEST(Golden, ReferenceBinary64WithinSpecBounds) {
  expect_within_spec_bounds<double>("gem.h binary64", 3, reference_derivs<double>);
}
TEST(Golden, ReferenceBinary32WithinSpecBounds) {
  expect_within_spec_bounds<float>("gem.h binary32", 3, reference_derivs<float>);
}
TEST(Golden, LanesBinary64WithinSpecBounds) {
  expect_within_spec_bounds<double>("gem_lanes.h binary64", 2, lane_derivs<double>);
}
TEST(Golden, LanesBinary32WithinSpecBounds) {
  expect_within_spec_bounds<float>("gem_lanes.h binary32", 2, lane_derivs<float>);
}

// ---- 16-bit storage: load to binary32, evaluate, round once on store (spec 3.2, 3.4) -------

void check_16bit(const Format16& fmt) {
  using testing::overflow_threshold;
  using testing::ulp16;
  double worst[3] = {0, 0, 0};
  int checked = 0, beyond = 0, needed_m = 0;
  std::string failures;
  for (const GoldenRow& r : golden()) {
    if (!exact_in_binary32(r.x)) continue;
    const float xr = fmt.round_trip(static_cast<float>(r.x));
    const Derivs<float> y = gem_derivs(r.variant, xr, make_constants<float>(r.N, r.eps));
    const Derivs<double> ref = gem_derivs(r.variant, static_cast<double>(xr), make_constants<double>(r.N, r.eps));
    for (int q = 0; q < 3; ++q) {
      const double got = fmt.round_trip(quantity(y, q)), want = quantity(ref, q);
      double err;
      if (std::isnan(want)) {
        err = std::isnan(got) ? 0 : INFINITY;
      } else if (std::fabs(want) >= overflow_threshold(fmt)) {
        err = got == std::copysign(INFINITY, want) ? 0 : INFINITY;
      } else {
        const double M = testing::cancel_magnitude(r.variant, r.N, r.eps, xr, q, want);
        err = std::isinf(got) ? INFINITY : std::fabs(got - want) / ulp16(fmt, std::fmax(std::fabs(want), M));
        if (err <= 1 && std::fabs(got - want) > ulp16(fmt, want)) ++needed_m;
      }
      ++checked;
      worst[q] = std::fmax(worst[q], err);
      if (!(err <= 1.0)) {
        if (++beyond <= 20)
          failures += std::string("  ") + variant_name(r.variant) + " N=" + std::to_string(r.N) + " " + kQuantity[q] +
                      " eps=" + describe(r.eps) + " x=" + describe(xr) + ": got " + describe(got) + ", want " +
                      describe(want) + " (" + describe(err) + " ulp)\n";
      }
    }
  }
  char line[200];
  std::snprintf(line, sizeof line,
                "%s storage: %d values, worst %.3f / %.3f / %.3f ulp (f / f' / f''), %d within 1 ulp only "
                "thanks to M\n",
                fmt.name, checked, worst[0], worst[1], worst[2], needed_m);
  std::cout << line;
  EXPECT_EQ(checked, 3 * 4730);
  EXPECT_EQ(beyond, 0) << line << failures;
}

TEST(Golden, HalfStorageWithinOneUlp) { check_16bit(testing::kHalf); }
TEST(Golden, Bfloat16StorageWithinOneUlp) { check_16bit(testing::kBfloat16); }

}  // namespace
}  // namespace gem
