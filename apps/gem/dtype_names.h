// Element type names as the tools spell them (the same spelling as torch: float64, float32,
// float16, bfloat16), and the parse of a name back to gem::DType.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "gem/numeric.h"

namespace gem::app {

using gem::dtype_name;

inline const std::vector<std::string>& dtype_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (DType t : kDTypes) all.push_back(dtype_name(t));
    return all;
  }();
  return names;
}

/// Throws std::invalid_argument naming the allowed spellings.
inline DType parse_dtype(const std::string& name) {
  for (DType t : kDTypes)
    if (name == dtype_name(t)) return t;
  throw std::invalid_argument("unknown dtype '" + name + "'; expected float64, float32, float16 or bfloat16");
}

}  // namespace gem::app
