// Rounding a binary64 result once to a storage type (spec 3.2: when float or 16-bit storage
// is evaluated in binary64 because eps lies outside [2^-126, FLT_MAX], the result is rounded
// once). double -> float is one IEEE conversion; double -> half / bfloat16 would round twice
// through float, so the float step rounds to odd instead: with 24 >= 11 + 2 bits it keeps
// enough information for the final round-to-nearest-even to be the correct one (Boldo and
// Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using rounding
// to odd", IEEE TC 2008). Also correct in the subnormal and overflow ranges of both formats.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "gem/numeric.h"

namespace gem {

/// v rounded to binary32 with round-to-odd: exact results stay, inexact ones get the
/// neighbour (toward zero) with an odd last bit.
inline float round_to_odd_float(double v) {
  const float nearest = static_cast<float>(v);
  if (std::isnan(v) || static_cast<double>(nearest) == v) return nearest;
  // Truncate toward zero (nearest may have rounded away from zero, even to inf).
  const float toward_zero =
      std::fabs(static_cast<double>(nearest)) > std::fabs(v) ? std::nextafter(nearest, 0.0f) : nearest;
  std::uint32_t bits;
  std::memcpy(&bits, &toward_zero, sizeof bits);
  bits |= 1u;
  float out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

/// v rounded once (to nearest even) to storage type T.
template <class T>
T round_once(double v) {
  if constexpr (std::is_same_v<T, double>) {
    return v;
  } else if constexpr (std::is_same_v<T, float>) {
    return static_cast<float>(v);
  } else {
    return T(round_to_odd_float(v));
  }
}

}  // namespace gem
