// The two 16-bit storage formats described by their parameters, with an independent
// round-to-nearest-even (scale to an integer significand, std::nearbyint) to test numeric.h
// against, and the ulp used by the 16-bit accuracy checks.
#pragma once

#include <cmath>

#include "gem/numeric.h"

namespace gem::testing {

struct Format16 {
  const char* name;
  int digits;         // significand bits, the implicit one included
  double min_normal;  // below it the spacing is that of the subnormals
  double max_finite;
  float (*round_trip)(float);  // numeric.h: narrow (round to nearest even) and widen back
};

inline const Format16 kHalf{"half", 11, 0x1p-14, 65504.0, [](float v) { return static_cast<float>(half(v)); }};
inline const Format16 kBfloat16{"bfloat16", 8, 0x1p-126, 0x1.fep127,
                                [](float v) { return static_cast<float>(bfloat16(v)); }};

/// Spacing of the format at |v| (subnormal spacing below min_normal; max's at and beyond max).
inline double ulp16(const Format16& fmt, double v) {
  v = std::fmin(std::fabs(v), fmt.max_finite);
  if (v < fmt.min_normal) return std::ldexp(fmt.min_normal, 1 - fmt.digits);
  return std::ldexp(1.0, std::ilogb(v) + 1 - fmt.digits);
}

/// |v| from which rounding gives inf: max plus half its ulp (that tie goes to the even
/// neighbour, the first power of two beyond max).
inline double overflow_threshold(const Format16& fmt) { return fmt.max_finite + ulp16(fmt, fmt.max_finite) / 2; }

/// The value of the format nearest to v, ties to even, as a double (keeps the sign of zero,
/// NaN stays NaN). v / spacing is exact in binary64 for every binary32 v.
inline double reference_round(const Format16& fmt, double v) {
  if (std::isnan(v)) return v;
  const double a = std::fabs(v);
  if (a >= overflow_threshold(fmt)) return std::copysign(INFINITY, v);
  const double spacing = ulp16(fmt, a);
  return std::copysign(std::nearbyint(a / spacing) * spacing, v);
}

}  // namespace gem::testing
