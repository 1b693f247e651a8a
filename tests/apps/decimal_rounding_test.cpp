// parse_rounded: one correct rounding from the decimal text to each dtype, including the
// cases a detour through double (or float) gets wrong.
#include "decimal_rounding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace gem::app {
namespace {

double rounded(const std::string& text, DType dtype) {
  double v = -12345.0;
  EXPECT_TRUE(parse_rounded(text, dtype, v)) << text;
  return v;
}

TEST(DecimalRounding, Float16RoundsOnceFromTheDecimal) {
  // 1 + 2^-11 is the tie between 1 and 1 + 2^-10; a tiny excess must round up, which a
  // double in between loses (strtod returns the tie itself).
  EXPECT_EQ(rounded("1.00048828125000000000001", DType::float16), 1.0009765625);
  EXPECT_EQ(rounded("1.00048828125", DType::float16), 1.0);  // exact tie: to even
  EXPECT_EQ(rounded("1.00048828124999999999999", DType::float16), 1.0);
  EXPECT_EQ(rounded("1.00146484375", DType::float16), 1.001953125);  // tie 1+3*2^-11: up to even
  EXPECT_EQ(rounded("65519.999999999999999", DType::float16), 65504.0);
  EXPECT_TRUE(std::isinf(rounded("65520", DType::float16)));  // tie above the largest: to inf
  EXPECT_EQ(rounded("5.9604644775390625e-8", DType::float16), std::ldexp(1.0, -24));  // smallest subnormal
  EXPECT_EQ(rounded("2.98023223876953125e-8", DType::float16), 0.0);                   // half of it: to even
  EXPECT_EQ(rounded("2.98023223876953125000001e-8", DType::float16), std::ldexp(1.0, -24));
}

TEST(DecimalRounding, BFloat16RoundsOnceFromTheDecimal) {
  EXPECT_EQ(rounded("1.00390625", DType::bfloat16), 1.0);  // 1 + 2^-8: tie, to even
  EXPECT_EQ(rounded("1.003906250000000000000001", DType::bfloat16), 1.0078125);
  EXPECT_EQ(rounded("3.39e38", DType::bfloat16), 3.3895313892515355e38);  // largest bfloat16
  EXPECT_TRUE(std::isinf(rounded("3.4e38", DType::bfloat16)));           // above its last tie
  EXPECT_EQ(rounded("1e-45", DType::bfloat16), 0.0);
}

TEST(DecimalRounding, Float32AndFloat64) {
  EXPECT_EQ(rounded("1.000000059604644775390625000001", DType::float32), 1.00000011920928955078125);
  EXPECT_EQ(rounded("1.000000059604644775390625", DType::float32), 1.0);
  EXPECT_EQ(rounded("0.1", DType::float32), static_cast<double>(0.1f));
  EXPECT_EQ(rounded("0.1", DType::float64), 0.1);
  EXPECT_EQ(rounded("0x1.8p-3", DType::float64), 0.1875);
  // Hundreds of digits: 2^-1074 written out is read exactly; a 400-zero fraction underflows.
  EXPECT_EQ(rounded("0." + std::string(400, '0') + "1", DType::float64), 0.0);
  EXPECT_EQ(rounded("1" + std::string(300, '0'), DType::float64), 1e300);
}

TEST(DecimalRounding, SpecialsAndSignedZeros) {
  for (DType t : {DType::float64, DType::float32, DType::float16, DType::bfloat16}) {
    EXPECT_TRUE(std::isnan(rounded("nan", t)));
    EXPECT_EQ(rounded("inf", t), INFINITY);
    EXPECT_EQ(rounded("-inf", t), -INFINITY);
    EXPECT_EQ(rounded("1e400", t), INFINITY);
    const double neg_zero = rounded("-0", t);
    EXPECT_TRUE(neg_zero == 0.0 && std::signbit(neg_zero));
    const double neg_tiny = rounded("-1e-400", t);
    EXPECT_TRUE(neg_tiny == 0.0 && std::signbit(neg_tiny)) << "underflow keeps the sign";
    EXPECT_FALSE(std::signbit(rounded("1e-400", t)));
  }
}

TEST(DecimalRounding, RejectsWhatIsNotANumber) {
  for (const char* text : {"", " 1", "1 ", "abc", "1e", "1,5", "--1", "0x"}) {
    for (DType t : {DType::float64, DType::float32, DType::float16, DType::bfloat16}) {
      double v = 7.0;
      EXPECT_FALSE(parse_rounded(text, t, v)) << "'" << text << "'";
      EXPECT_EQ(v, 7.0);
    }
  }
}

}  // namespace
}  // namespace gem::app
