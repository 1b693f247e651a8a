#include "decimal_rounding.h"

#include <cctype>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "gem/round_once.h"

namespace gem::app {
namespace {

bool looks_like_number_start(const std::string& text) {
  return !text.empty() && !std::isspace(static_cast<unsigned char>(text[0]));
}

/// strtod under a given rounding mode (glibc honours the current mode), whole string or false.
bool strtod_in_mode(const std::string& text, int mode, double& out) {
  std::fesetround(mode);
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  std::fesetround(FE_TONEAREST);
  return end == text.c_str() + text.size();
}

std::uint64_t bits_of(double d) {
  std::uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

/// The decimal rounded to binary64 with round-to-odd: exact if representable, otherwise the
/// neighbour (toward zero or away) whose last significand bit is 1.
bool strtod_round_to_odd(const std::string& text, double& out) {
  double down = 0.0, up = 0.0;
  if (!strtod_in_mode(text, FE_DOWNWARD, down) || !strtod_in_mode(text, FE_UPWARD, up)) return false;
  if (std::isnan(down) || down == up) {
    out = down;
    return true;
  }
  out = (bits_of(down) & 1u) ? down : up;  // +-inf has an even significand: never chosen
  return true;
}

}  // namespace

bool parse_rounded(const std::string& text, DType dtype, double& out) {
  if (!looks_like_number_start(text)) return false;
  char* end = nullptr;
  switch (dtype) {
    case DType::float64: {
      const double d = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size()) return false;
      out = d;
      return true;
    }
    case DType::float32: {
      const float f = std::strtof(text.c_str(), &end);  // correctly rounded from the decimal
      if (end != text.c_str() + text.size()) return false;
      out = f;
      return true;
    }
    case DType::float16:
    case DType::bfloat16: {
      double odd = 0.0;
      if (!strtod_round_to_odd(text, odd)) return false;
      // round_once rounds binary64 to the 16-bit type once (itself through round-to-odd).
      out = dtype == DType::float16 ? static_cast<float>(round_once<half>(odd))
                                    : static_cast<float>(round_once<bfloat16>(odd));
      return true;
    }
  }
  return false;
}

}  // namespace gem::app
