#include "src/support/number_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

namespace gem::support {
namespace {

TEST(NumberFormat, SpecialsAndZeros) {
  EXPECT_EQ(format_g17(0.0), "0");
  EXPECT_EQ(format_g17(-0.0), "-0");
  EXPECT_EQ(format_g17(INFINITY), "inf");
  EXPECT_EQ(format_g17(-INFINITY), "-inf");
  EXPECT_EQ(format_g17(NAN), "nan");
  EXPECT_EQ(format_g17(-NAN), "nan");
  EXPECT_EQ(format_g17(0.1), "0.10000000000000001");
  EXPECT_EQ(format_g17(5e-324), "4.9406564584124654e-324");
}

TEST(NumberFormat, MatchesPrintfG17AndReadsBack) {
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (std::isnan(v)) continue;
    char expected[64];
    std::snprintf(expected, sizeof expected, "%.17g", v);
    const std::string got = format_g17(v);
    ASSERT_EQ(got, expected);
    ASSERT_EQ(std::strtod(got.c_str(), nullptr), v);
  }
}

}  // namespace
}  // namespace gem::support
