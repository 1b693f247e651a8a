// Element type names as the tools spell them (the same spelling as torch: float64, float32,
// float16, bfloat16), and the parse of a name back to gem::DType.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "gem/numeric.h"

namespace gem::app {

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::float64: return "float64";
    case DType::float32: return "float32";
    case DType::float16: return "float16";
    case DType::bfloat16: return "bfloat16";
  }
  return "?";
}

inline const std::vector<std::string>& dtype_names() {
  static const std::vector<std::string> names{"float64", "float32", "float16", "bfloat16"};
  return names;
}

/// Throws std::invalid_argument naming the allowed spellings.
inline DType parse_dtype(const std::string& name) {
  for (DType t : {DType::float64, DType::float32, DType::float16, DType::bfloat16})
    if (name == dtype_name(t)) return t;
  throw std::invalid_argument("unknown dtype '" + name + "'; expected float64, float32, float16 or bfloat16");
}

}  // namespace gem::app
