// gem::half and gem::bfloat16 (numeric.h): every 16-bit pattern decodes to the right binary32
// and round-trips; binary32 -> 16-bit rounds to nearest even (checked against an independent
// reference around every 16-bit value: midpoints, their neighbours, random fill), overflows to
// inf, keeps subnormals and signed zeros, and keeps NaN a NaN.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include "core/format16.h"
#include "gem/numeric.h"

namespace gem {
namespace {

using testing::Format16;
using testing::kBfloat16;
using testing::kHalf;
using testing::reference_round;

std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
float float_of(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

/// The value of a binary16 pattern from its fields (independent of numeric.h).
double decode_half(std::uint16_t b) {
  const int sign = b >> 15, exp = (b >> 10) & 0x1F, man = b & 0x3FF;
  double v;
  if (exp == 0x1F) v = man == 0 ? INFINITY : NAN;
  else if (exp == 0) v = std::ldexp(man, -24);
  else v = std::ldexp(1024 + man, exp - 25);
  return sign ? -v : v;
}

/// The value of a bfloat16 pattern from its fields.
double decode_bfloat16(std::uint16_t b) {
  const int sign = b >> 15, exp = (b >> 7) & 0xFF, man = b & 0x7F;
  double v;
  if (exp == 0xFF) v = man == 0 ? INFINITY : NAN;
  else if (exp == 0) v = std::ldexp(man, -133);
  else v = std::ldexp(128 + man, exp - 134);
  return sign ? -v : v;
}

/// Same value and, for zeros, same sign; any NaN matches any NaN.
bool same_value(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

TEST(Half, EveryPatternDecodes) {
  for (std::uint32_t b = 0; b <= 0xFFFF; ++b) {
    const auto h = static_cast<std::uint16_t>(b);
    ASSERT_TRUE(same_value(half::to_float(h), decode_half(h))) << "pattern 0x" << std::hex << b;
  }
}

TEST(Bfloat16, EveryPatternDecodes) {
  for (std::uint32_t b = 0; b <= 0xFFFF; ++b) {
    const auto h = static_cast<std::uint16_t>(b);
    ASSERT_TRUE(same_value(bfloat16::to_float(h), decode_bfloat16(h))) << "pattern 0x" << std::hex << b;
  }
}

/// Every non-NaN pattern survives to float and back bit for bit (-0 included); a NaN stays a
/// quiet NaN (payload bits may change).
template <class S>
void check_round_trips(int exp_shift, std::uint16_t quiet_bit) {
  const std::uint16_t exp_mask = static_cast<std::uint16_t>(0x7FFF & ~((1u << exp_shift) - 1));
  int nans = 0;
  for (std::uint32_t b = 0; b <= 0xFFFF; ++b) {
    const auto h = static_cast<std::uint16_t>(b);
    const std::uint16_t back = S::from_float(S::to_float(h));
    const bool is_nan = (h & exp_mask) == exp_mask && (h & ~exp_mask & 0x7FFF) != 0;
    if (is_nan) {
      ++nans;
      ASSERT_EQ(back & exp_mask, exp_mask) << std::hex << b;
      ASSERT_NE(back & quiet_bit, 0) << std::hex << b;
    } else {
      ASSERT_EQ(back, h) << "pattern 0x" << std::hex << b;
    }
  }
  EXPECT_EQ(nans, 2 * (0x7FFF & ~exp_mask));  // both signs, every nonzero significand
}

TEST(Half, EveryPatternRoundTrips) { check_round_trips<half>(10, 0x200); }
TEST(Bfloat16, EveryPatternRoundTrips) { check_round_trips<bfloat16>(7, 0x40); }

/// Narrows f with numeric.h and compares with the reference rounding; returns a message or "".
std::string rounding_mismatch(const Format16& fmt, float f) {
  const double got = fmt.round_trip(f), want = reference_round(fmt, f);
  if (same_value(got, want)) return "";
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s(%a = 0x%08x) gave %a, nearest-even is %a", fmt.name, static_cast<double>(f),
                bits_of(f), got, want);
  return buf;
}

/// Around every non-negative finite value v of the format (and its negative): v, the midpoint
/// to the next value (a tie), the floats just beside the midpoint and beside v, and random
/// floats in between; then random bit patterns over the whole binary32 range.
void check_nearest_even(const Format16& fmt, double (*decode)(std::uint16_t), std::uint16_t max_finite_bits) {
  std::mt19937 rng(12345);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  long checked = 0;
  auto check = [&](float f) {
    for (float s : {f, -f}) {
      const std::string m = rounding_mismatch(fmt, s);
      ASSERT_TRUE(m.empty()) << m;
      ++checked;
    }
  };
  for (std::uint32_t b = 0; b <= max_finite_bits; ++b) {
    const double v = decode(static_cast<std::uint16_t>(b));
    // The next value up; beyond max it is the power of two that rounding would overflow to.
    const double next = b == max_finite_bits ? fmt.max_finite + testing::ulp16(fmt, fmt.max_finite)
                                             : decode(static_cast<std::uint16_t>(b + 1));
    const auto mid = static_cast<float>((v + next) / 2);  // exact: one more bit than the format
    ASSERT_EQ(static_cast<double>(mid), (v + next) / 2);
    check(static_cast<float>(v));
    check(mid);
    check(std::nextafter(mid, 0.0f));
    check(std::nextafter(mid, INFINITY));
    check(std::nextafter(static_cast<float>(v), INFINITY));
    if (v > 0) check(std::nextafter(static_cast<float>(v), 0.0f));
    for (int k = 0; k < 4; ++k) check(static_cast<float>(v + (next - v) * unit(rng)));
  }
  std::uniform_int_distribution<std::uint32_t> any_bits;
  for (int k = 0; k < 200000; ++k) {
    const float f = float_of(any_bits(rng));
    if (!std::isnan(f)) check(f);
  }
  EXPECT_GT(checked, 1000000);
}

TEST(Half, RoundsToNearestEven) { check_nearest_even(kHalf, decode_half, 0x7BFF); }
TEST(Bfloat16, RoundsToNearestEven) { check_nearest_even(kBfloat16, decode_bfloat16, 0x7F7F); }

TEST(Half, OverflowSubnormalsAndSignedZeros) {
  EXPECT_EQ(half(65504.0f).bits, 0x7BFF);                           // max
  EXPECT_EQ(half(std::nextafter(65520.0f, 0.0f)).bits, 0x7BFF);     // just below the tie
  EXPECT_EQ(half(65520.0f).bits, 0x7C00);                           // tie -> even -> inf
  EXPECT_EQ(half(-65520.0f).bits, 0xFC00);
  EXPECT_EQ(half(FLT_MAX).bits, 0x7C00);
  EXPECT_EQ(half(INFINITY).bits, 0x7C00);
  EXPECT_EQ(half(-INFINITY).bits, 0xFC00);
  EXPECT_EQ(half(0x1p-14f).bits, 0x0400);                           // min normal
  EXPECT_EQ(half(0x1p-24f).bits, 0x0001);                           // min subnormal
  EXPECT_EQ(half(0x1p-25f).bits, 0x0000);                           // tie with 0 -> 0 (even)
  EXPECT_EQ(half(std::nextafter(0x1p-25f, 1.0f)).bits, 0x0001);
  EXPECT_EQ(half(0x3p-25f).bits, 0x0002);                           // tie 1|2 -> 2 (even)
  EXPECT_EQ(half(0x1.ff8p-15f).bits, 0x03FF);                       // max subnormal
  EXPECT_EQ(half(0x1.ffcp-15f).bits, 0x0400);                       // tie, carries into the normals
  EXPECT_EQ(half(FLT_TRUE_MIN).bits, 0x0000);                       // float subnormal -> 0
  EXPECT_EQ(half(-FLT_TRUE_MIN).bits, 0x8000);                      // ... keeping its sign
  EXPECT_EQ(half(-0.0f).bits, 0x8000);
  EXPECT_EQ(half::to_float(0x0001), 0x1p-24f);
  EXPECT_EQ(half::to_float(0x03FF), 0x3FFp-24f);
  EXPECT_TRUE(std::signbit(half::to_float(0x8000)));
}

TEST(Bfloat16, OverflowSubnormalsAndSignedZeros) {
  EXPECT_EQ(bfloat16(0x1.fep127f).bits, 0x7F7F);                    // max
  EXPECT_EQ(bfloat16(float_of(0x7F7F7FFF)).bits, 0x7F7F);           // just below the tie
  EXPECT_EQ(bfloat16(float_of(0x7F7F8000)).bits, 0x7F80);           // tie -> even -> inf
  EXPECT_EQ(bfloat16(FLT_MAX).bits, 0x7F80);
  EXPECT_EQ(bfloat16(-FLT_MAX).bits, 0xFF80);
  EXPECT_EQ(bfloat16(FLT_TRUE_MIN).bits, 0x0000);                   // below half a bf16 subnormal
  EXPECT_EQ(bfloat16(float_of(0x00008000)).bits, 0x0000);           // tie 0|1 -> 0
  EXPECT_EQ(bfloat16(float_of(0x00008001)).bits, 0x0001);
  EXPECT_EQ(bfloat16(float_of(0x00018000)).bits, 0x0002);           // tie 1|2 -> 2
  EXPECT_EQ(bfloat16(float_of(0x007F8000)).bits, 0x0080);           // carries into the normals
  EXPECT_EQ(bfloat16(-0.0f).bits, 0x8000);
  EXPECT_EQ(bfloat16::to_float(0x0001), 0x1p-133f);
}

/// Every NaN stays NaN, including payloads that live only in the bits narrowing drops (a
/// plain truncation would turn those into inf): S's exponent field all ones, a mantissa that is
/// not 0, the sign kept. Every payload below 2^exhaustive_bits (one bit past those narrowing
/// drops), then a sample of the rest.
template <class S>
void nan_stays_nan(std::uint16_t exponent_mask, std::uint16_t mantissa_mask, int exhaustive_bits) {
  for (std::uint32_t sign : {0u, 0x80000000u}) {
    for (std::uint32_t man = 1; man < (1u << 23); man += (man < (1u << exhaustive_bits) ? 1 : 977)) {
      const std::uint16_t h = S(float_of(sign | 0x7F800000u | man)).bits;
      ASSERT_EQ(h & exponent_mask, exponent_mask) << std::hex << man;
      ASSERT_NE(h & mantissa_mask, 0) << std::hex << man;
      ASSERT_EQ(h >> 15, sign >> 31);
    }
  }
}

TEST(Half, NanStaysNan) { nan_stays_nan<half>(0x7C00, 0x3FF, 14); }
TEST(Bfloat16, NanStaysNan) { nan_stays_nan<bfloat16>(0x7F80, 0x7F, 17); }

}  // namespace
}  // namespace gem
