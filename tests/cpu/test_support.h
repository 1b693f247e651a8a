// Shared by the CPU kernel tests: the storage types, their formats, random inputs that cover
// every class of value, the tolerance between two paths, and a loop over the SIMD targets
// compiled into gem_cpu.
#pragma once

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "common/golden.h"
#include "common/storage_types.h"
#include "gem/numeric.h"
#include "gem/params.h"
#include "gem/quantity.h"
#include "hwy/targets.h"
#include "gem/cpu/kernels.h"

namespace gem::testing {

/// A binary floating-point format: its significand digits (the leading bit included) and the
/// exponents of its normal numbers.
struct FormatFacts {
  int digits, min_normal_exp, max_exp;
};
template <class T>
constexpr FormatFacts format_facts() {
  if constexpr (std::is_same_v<T, double>)
    return {53, -1022, 1023};
  else if constexpr (std::is_same_v<T, float>)
    return {24, -126, 127};
  else if constexpr (std::is_same_v<T, half>)
    return {11, -14, 15};
  else
    return {8, -126, 127};
}

/// 2^e, exactly, in a constant expression (std::ldexp is not constexpr in C++17).
constexpr double pow2(int e) {
  double r = 1.0;
  for (; e > 0; --e) r *= 2.0;
  for (; e < 0; ++e) r /= 2.0;
  return r;
}

/// The binary format of a storage type, derived from its facts.
template <class T>
struct Format {
  static constexpr FormatFacts facts = format_facts<T>();
  static constexpr const char* name = dtype_name(dtype_of<T>());
  static constexpr int digits = facts.digits;
  static constexpr double min_normal = pow2(facts.min_normal_exp);
  static constexpr double max = (2.0 - pow2(1 - facts.digits)) * pow2(facts.max_exp);
  // The exponents of the smallest subnormal and of the largest value.
  static constexpr int min_exp = facts.min_normal_exp - (facts.digits - 1), max_exp = facts.max_exp;
};
static_assert(Format<double>::max == DBL_MAX && Format<double>::min_normal == DBL_MIN &&
              Format<double>::min_exp == -1074);
static_assert(Format<float>::max == FLT_MAX && Format<float>::min_normal == FLT_MIN && Format<float>::min_exp == -149);
static_assert(Format<half>::max == 65504.0 && Format<half>::min_exp == -24);
static_assert(Format<bfloat16>::max == 3.3895313892515355e38 && Format<bfloat16>::min_exp == -133);  // 0x7F7F

template <class T>
double to_double(T v) {
  return static_cast<double>(widen(v));
}
template <class T>
T from_double(double v) {
  if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) return static_cast<T>(v);
  else return T(static_cast<float>(v));
}
template <class T>
std::uint64_t bits_of(T v) {
  std::uint64_t b = 0;
  std::memcpy(&b, &v, sizeof v);
  return b;
}

/// ulp of format T at magnitude v (subnormal spacing below the smallest normal; max's ulp above).
template <class T>
double ulp_in(double v) {
  v = std::fabs(v);
  if (!(v <= Format<T>::max)) v = Format<T>::max;
  if (v < Format<T>::min_normal) return std::ldexp(Format<T>::min_normal, 1 - Format<T>::digits);
  return std::ldexp(1.0, std::ilogb(v) + 1 - Format<T>::digits);
}

/// Values of every class, as T: mostly activations (|x| around 1e-3..1e3), then the whole
/// exponent range of T, subnormals, and the special values +-0, +-inf, NaN, +-max, +-min.
template <class T>
std::vector<T> random_inputs(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double specials[] = {0.0,  -0.0, INFINITY,          -INFINITY,          NAN, Format<T>::max, -Format<T>::max,
                             1.0,  -1.0, Format<T>::min_normal, -Format<T>::min_normal};
  std::vector<T> out(n);
  for (auto& v : out) {
    const double sign = rng() & 1 ? -1.0 : 1.0;
    const unsigned kind = static_cast<unsigned>(rng() % 100);
    double x;
    if (kind < 4) {
      x = specials[rng() % (sizeof specials / sizeof specials[0])];
    } else if (kind < 10) {  // subnormal of T (or the smallest normals for T without many)
      x = sign * std::ldexp(unit(rng), Format<T>::min_exp + Format<T>::digits - 1);
    } else if (kind < 70) {
      x = sign * std::exp2(-10 + 20 * unit(rng));
    } else {
      x = sign * std::exp2(Format<T>::min_exp + (Format<T>::max_exp + 1 - Format<T>::min_exp) * unit(rng));
    }
    v = from_double<T>(x);
  }
  return out;
}

/// How far apart two results of paths that each meet spec 3.4 may be. k and r are the two
/// results, g the grad factor (1 for forward), v64 the binary64 value of f or f' at x.
///   The f or f' inside each path is within B ulp_W(max(|y*|, M)) of the exact y* (W the
///   working format: binary64 for double, binary32 otherwise; B the bound of 3.4), so the two
///   differ by 2B of those ulps; one more ulp on each side covers max(|v64|, M) sitting in a
///   lower binade than max(|y*|, M): 2(B + 1) ulp_W(max(|v64|, M)). That difference is scaled
///   by |g| (note ulp_W has a floor: the subnormal spacing, so a tiny f' times a huge g may
///   differ by many ulps of the product), and when the product or the 16-bit narrowing
///   rounds once more, each path adds half an ulp of T: one ulp_T of the result.
/// With g = +-inf the product is inf or NaN depending on whether f' rounded to zero, which is
/// allowed when zero is within the tolerance of f'. One side inf and the other finite is
/// allowed when the finite one is within the tolerance of the format's maximum.
template <class T>
bool within_tolerance(Variant v, int N, double eps, double x, Quantity which, double g, double k, double r, double v64,
                      double* excess_out = nullptr) {
  using W = std::conditional_t<std::is_same_v<T, double>, double, float>;
  if (excess_out) *excess_out = 0;
  if (std::isnan(g) || std::isnan(v64)) return std::isnan(k) && std::isnan(r);
  const double bound = bound_ulps(N, derivative_order(which));
  const double M = cancel_magnitude(v, N, eps, x, derivative_order(which), v64);
  const double inner = std::isinf(v64) ? 0.0 : 2 * (bound + 1) * ulp_in<W>(std::fmax(std::fabs(v64), M));
  if (std::isinf(g)) {
    if (inner >= std::fabs(v64)) return (std::isnan(k) || std::isinf(k)) && (std::isnan(r) || std::isinf(r));
    return k == r;
  }
  if (std::isnan(k) || std::isnan(r)) return std::isnan(k) && std::isnan(r);
  if (k == r) return true;
  const bool rounds_again = !std::is_same_v<T, W> || g != 1.0;
  const double tol = std::fabs(g) * inner + (rounds_again ? ulp_in<T>(std::fmax(std::fabs(k), std::fabs(r))) : 0.0);
  if (std::isinf(k) || std::isinf(r)) {
    const double finite = std::isinf(k) ? r : k;
    return std::signbit(k) == std::signbit(r) && std::fabs(finite) + tol >= Format<T>::max;
  }
  const double diff = std::fabs(k - r);
  if (excess_out) *excess_out = diff / tol;
  return diff <= tol;
}

/// Runs fn() once per SIMD target compiled into gem_cpu that this CPU supports, with the
/// dispatcher forced to it; restores the normal choice afterwards.
template <class Fn>
void for_each_simd_target(const Fn& fn) {
  for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(std::string("SIMD target ") + hwy::TargetName(target));
    ASSERT_STREQ(cpu::simd_target(), hwy::TargetName(target)) << "gem_cpu was not compiled for this target";
    fn();
    if (::testing::Test::HasFatalFailure()) break;
  }
  hwy::SetSupportedTargetsForTest(0);
}

inline std::vector<Params> params_for(int N) {
  return {make_gem(N), make_egem(N, 1e-4), make_segem(N, 1e-4), make_egem(N, 10.0), make_segem(N, 0.37)};
}

inline std::string describe(const Params& p) {
  return std::string(variant_name(p.variant)) + " N=" + std::to_string(p.N) + " eps=" + format_double(p.eps);
}

}  // namespace gem::testing
