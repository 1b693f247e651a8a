// Parameter sets and error measures shared by the CUDA kernel tests.
#pragma once

#include <cfloat>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "common/golden.h"
#include "core/format16.h"
#include "gem/numeric.h"
#include "gem/params.h"

namespace gem::testing {

/// Every variant and N = 1..8 with small and large eps, plus eps outside binary32's range
/// (float and 16-bit storage then compute in binary64).
inline std::vector<Params> kernel_param_sets() {
  std::vector<Params> out;
  for (int N = 1; N <= kMaxOrder; ++N) {
    out.push_back(make_gem(N));
    out.push_back(make_egem(N, 1e-4));
    out.push_back(make_egem(N, 10.0));
    out.push_back(make_segem(N, 1e-4));
    out.push_back(make_segem(N, 10.0));
    out.push_back(make_egem(N, 1e-300));
    out.push_back(make_segem(N, 1e39));
  }
  return out;
}

inline std::string describe(const Params& p) {
  return std::string(variant_name(p.variant)) + ":N=" + std::to_string(p.N) + ",eps=" + format_double(p.eps);
}

/// Error of `got` (a value of storage type T) against the exact `want`, in ulps of T at
/// max(|want|, M) (spec 3.4); for 16-bit T the format's own ulp. A `want` beyond T's overflow
/// threshold must come out as the infinity of its sign; NaN must meet NaN.
template <class T>
double storage_error_ulps(double got, double want, double M) {
  if (std::isnan(want)) return std::isnan(got) ? 0.0 : INFINITY;
  if (std::isinf(want)) return got == want ? 0.0 : INFINITY;
  if constexpr (std::is_same_v<T, double>) {
    return error_ulps<double>(got, want, M);
  } else if constexpr (std::is_same_v<T, float>) {
    const double threshold = 0x1.ffffffp127;  // FLT_MAX + half its ulp
    if (std::fabs(want) >= threshold) return got == std::copysign(INFINITY, want) ? 0.0 : INFINITY;
    return error_ulps<float>(got, want, M);
  } else {
    const Format16& fmt = std::is_same_v<T, half> ? kHalf : kBfloat16;
    if (std::fabs(want) >= overflow_threshold(fmt)) return got == std::copysign(INFINITY, want) ? 0.0 : INFINITY;
    if (std::isnan(got) || std::isinf(got)) return INFINITY;
    return std::fabs(got - want) / ulp16(fmt, std::fmax(std::fabs(want), M));
  }
}

/// The allowed error in those units: spec 3.4's B for double and float (plus one for the
/// product with a gradient, rounded once more), 1 ulp for 16-bit storage.
template <class T>
double storage_bound_ulps(int N, int which, bool scaled) {
  if constexpr (std::is_same_v<T, half> || std::is_same_v<T, bfloat16>) return 1.0;
  else return bound_ulps(N, which) + (scaled ? 1.0 : 0.0);
}

}  // namespace gem::testing
