// `gem eval` against the golden values (spec 7), fed the exact decimal text of golden.csv:
// binary64 on all 5170 rows and binary32 on the rows exact in binary32, both within the bounds
// of spec 3.4; binary16 and bfloat16 on all rows within 1 ulp of their format of the binary64
// reference at the rounded x.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/golden.h"
#include "gem/act/gem.h"
#include "gem/numeric.h"
#include "run_tool.h"

namespace gem::testing {
namespace {

struct GoldenCase {
  GoldenRow row;
  std::string input;  // "variant,N,eps,x" exactly as golden.csv writes it
};

std::vector<GoldenCase> golden_cases() {
  const std::vector<GoldenRow> rows = load_golden();
  std::ifstream in(golden_path());
  std::string line;
  std::getline(in, line);  // header
  std::vector<GoldenCase> cases;
  for (const GoldenRow& row : rows) {
    std::getline(in, line);
    std::size_t comma = 0;
    for (int i = 0; i < 4; ++i) comma = line.find(',', comma + 1);
    cases.push_back({row, line.substr(0, comma)});
  }
  return cases;
}

std::vector<std::array<double, 3>> evaluate_with_tool(const std::vector<GoldenCase>& cases, const char* dtype) {
  std::string input = "variant,N,eps,x\n";
  for (const GoldenCase& c : cases) input += c.input + "\n";
  const ToolRun run = run_gem({"eval", "--dtype", dtype}, input);
  EXPECT_EQ(run.status, 0) << run.err;
  std::vector<std::array<double, 3>> values;
  for (const std::string& line : split(run.out, '\n')) {
    const auto v = split(line, ',');
    EXPECT_EQ(v.size(), 3u) << line;
    if (v.size() != 3) break;
    values.push_back({std::strtod(v[0].c_str(), nullptr), std::strtod(v[1].c_str(), nullptr),
                      std::strtod(v[2].c_str(), nullptr)});
  }
  EXPECT_EQ(values.size(), cases.size());
  return values;
}

template <class W>
void expect_within_spec_bounds(const std::vector<GoldenCase>& cases, const char* dtype) {
  const auto values = evaluate_with_tool(cases, dtype);
  ASSERT_EQ(values.size(), cases.size());
  int bad = 0;
  double worst[3] = {0, 0, 0};
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const GoldenRow& r = cases[i].row;
    const double exact[3] = {r.f, r.df, r.d2f};
    for (int k = 0; k < 3; ++k) {
      const double M = cancel_magnitude(r.variant, r.N, r.eps, r.x, k, exact[k]);
      const double err = error_ulps<W>(values[i][k], exact[k], M);
      worst[k] = std::max(worst[k], err);
      if (err > bound_ulps(r.N, k) && ++bad <= 10)
        ADD_FAILURE() << dtype << " " << cases[i].input.substr(0, 80) << " column " << k << ": got " << values[i][k]
                      << ", exact " << exact[k] << ", " << err << " ulps > " << bound_ulps(r.N, k);
    }
  }
  EXPECT_EQ(bad, 0);
  ::testing::Test::RecordProperty("worst_ulps", std::to_string(worst[0]) + " " + std::to_string(worst[1]) + " " +
                                                    std::to_string(worst[2]));
}

TEST(GemEvalGolden, Float64AllRowsShuffled) {
  auto cases = golden_cases();
  ASSERT_EQ(cases.size(), 5170u);
  // golden.csv is sorted by parameters; a fixed shuffle also checks that batching by
  // parameters puts every result back on its own line.
  std::shuffle(cases.begin(), cases.end(), std::mt19937(2024));
  expect_within_spec_bounds<double>(cases, "float64");
}

TEST(GemEvalGolden, Float32RowsExactInBinary32) {
  std::vector<GoldenCase> cases;
  for (const GoldenCase& c : golden_cases())
    if (static_cast<double>(static_cast<float>(c.row.x)) == c.row.x) cases.push_back(c);
  ASSERT_EQ(cases.size(), 4730u);  // spec 7: all rows but the 440 binary64-only edges
  expect_within_spec_bounds<float>(cases, "float32");
}

/// ulp of a binary format with `digits` significand bits and smallest normal exponent `emin`.
double ulp_in_format(double v, int digits, int emin, double max_finite) {
  v = std::min(std::fabs(v), max_finite);
  const int e = v == 0 ? emin : std::max(std::ilogb(v), emin);
  return std::ldexp(1.0, e - (digits - 1));
}

/// Storage type S with `digits` significand bits, smallest normal exponent `emin`, largest
/// finite value `max_finite`.
template <class S>
void expect_within_one_16bit_ulp(const char* dtype, int digits, int emin, double max_finite) {
  const auto cases = golden_cases();
  const auto values = evaluate_with_tool(cases, dtype);
  ASSERT_EQ(values.size(), cases.size());
  int bad = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const GoldenRow& r = cases[i].row;
    // x of golden.csv is a binary64 number (exact in binary32 except the binary64-only edges,
    // which are powers of two or DBL_MAX), so the double -> float -> 16-bit path rounds it once.
    const double xr = static_cast<float>(S(static_cast<float>(r.x)));
    const Derivs<double> ref = gem_derivs(r.variant, xr, make_constants<double>(r.N, r.eps));
    const double want[3] = {ref.f, ref.df, ref.d2f};
    for (int k = 0; k < 3; ++k) {
      const double got = values[i][k], w = want[k];
      bool ok;
      if (std::isnan(w) || std::isnan(got)) ok = std::isnan(w) && std::isnan(got);
      else if (std::isinf(got)) ok = got == w || (std::fabs(w) >= max_finite && std::signbit(w) == std::signbit(got));
      else ok = std::fabs(got - w) <= ulp_in_format(w, digits, emin, max_finite);
      if (!ok && ++bad <= 10)
        ADD_FAILURE() << dtype << " " << cases[i].input.substr(0, 80) << " (x rounded " << xr << ") column " << k
                      << ": got " << got << ", binary64 reference " << w;
    }
  }
  EXPECT_EQ(bad, 0);
}

TEST(GemEvalGolden, Float16WithinOneUlpOfTheReferenceAtRoundedX) {
  expect_within_one_16bit_ulp<half>("float16", 11, -14, 65504.0);
}

TEST(GemEvalGolden, BFloat16WithinOneUlpOfTheReferenceAtRoundedX) {
  expect_within_one_16bit_ulp<bfloat16>("bfloat16", 8, -126, 3.3895313892515355e38);
}

}  // namespace
}  // namespace gem::testing
