// Reading a decimal number straight into an element type, with one correct rounding.
//
// Reading "1.00048828125000000000001" into binary16 through a double rounds twice: strtod gives
// exactly 1 + 2^-11 (the tie), which then rounds to even, 1.0, although the decimal lies above
// the tie and its correct rounding is 1 + 2^-10. The value is therefore first rounded to
// binary64 with round-to-odd (from strtod under both directed rounding modes), then once to the
// 16-bit format (src/cpu/round_once.h): rounding to odd with at least two extra bits makes the
// final rounding exact (Boldo & Melquiond 2008).
#pragma once

#include <string>

#include "gem/numeric.h"

namespace gem::app {

/// Parses all of `text` (strtod syntax: decimal or hex, any number of digits, inf, nan; no
/// surrounding blanks) and rounds it once, to nearest even, to `dtype`; the result comes back
/// widened to double (exact). Returns false, leaving `out` alone, when text is not a number.
bool parse_rounded(const std::string& text, DType dtype, double& out);

}  // namespace gem::app
