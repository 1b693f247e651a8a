// The 16-bit conversions the SIMD kernels use on load and store, as array functions on the
// dispatched target (what the tests compare with include/gem/numeric.h bit for bit).
#pragma once

#include <cstddef>

#include "gem/numeric.h"

namespace gem::cpu {

/// out[i] = float(in[i]), exact. T = half or bfloat16.
template <class T>
void widen_to_float(const T* in, float* out, std::size_t n);

/// out[i] = in[i] rounded to nearest even (overflow to inf, NaN kept quiet). T = half or bfloat16.
template <class T>
void narrow_from_float(const float* in, T* out, std::size_t n);

}  // namespace gem::cpu
