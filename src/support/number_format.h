// The one number format of the tools' outputs: 17 significant digits (printf's %.17g, enough to
// read every binary64 back exactly), "inf", "-inf", "nan" for the specials, -0 written "-0".
#pragma once

#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

namespace gem::support {

constexpr int kNumberChars = 32;  // longest %.17g: "-1.2345678901234567e-308" is 24 chars

/// Writes v at `buf` (at least kNumberChars long) and returns the end; no terminating NUL.
inline char* format_g17(double v, char* buf) {
  if (std::isnan(v)) {  // printf and to_chars may write "-nan"; NaN has no sign to report
    std::memcpy(buf, "nan", 3);
    return buf + 3;
  }
  return std::to_chars(buf, buf + kNumberChars, v, std::chars_format::general, 17).ptr;
}

inline std::string format_g17(double v) {
  char buf[kNumberChars];
  return std::string(buf, format_g17(v, buf));
}

}  // namespace gem::support
