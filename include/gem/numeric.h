// 16-bit storage types and the math type used for each storage type.
//
// gem::half and gem::bfloat16 are plain 16-bit containers (layout-compatible with
// IEEE binary16 / bfloat16, at::Half / at::BFloat16, __half / __nv_bfloat16). They are
// never used for arithmetic: kernels widen to float once, compute, and narrow once with
// round-to-nearest-even (spec 3.2: "load to binary32, evaluate, round once on store").
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "gem/config.h"

namespace gem {

namespace detail {
GEM_HOST_DEVICE GEM_INLINE std::uint32_t float_bits(float f) {
#if GEM_DEVICE_COMPILE && defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
#endif
}
GEM_HOST_DEVICE GEM_INLINE float bits_float(std::uint32_t u) {
#if GEM_DEVICE_COMPILE && defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
#endif
}
}  // namespace detail

namespace detail {
/// A 16-bit storage type Self whose bits Codec converts (to_float exact, from_float rounding
/// to nearest even): the bits, from_bits and the widening conversion, written once.
template <class Self, class Codec>
struct Storage16 : Codec {
  std::uint16_t bits = 0;

  GEM_HOST_DEVICE static Self from_bits(std::uint16_t b) {
    Self s;
    s.bits = b;
    return s;
  }
  GEM_HOST_DEVICE explicit operator float() const { return Codec::to_float(bits); }
};

/// IEEE binary16: overflow to +-inf, gradual underflow to subnormals, NaN kept quiet.
struct Binary16Codec {
  GEM_HOST_DEVICE static float to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exp = (h >> 10) & 0x1Fu;
    std::uint32_t man = h & 0x3FFu;
    if (exp == 0x1F) return bits_float(sign | 0x7F800000u | (man << 13));  // inf/NaN
    if (exp != 0) return bits_float(sign | ((exp + 112) << 23) | (man << 13));
    if (man == 0) return bits_float(sign);
    // Subnormal half: value = man * 2^-24, exact in float.
    const float v = static_cast<float>(man) * 5.9604644775390625e-8f;
    return bits_float(sign | float_bits(v));
  }

  GEM_HOST_DEVICE static std::uint16_t from_float(float f) {
    const std::uint32_t u = float_bits(f);
    const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
    const std::uint32_t abs = u & 0x7FFFFFFFu;
    if (abs > 0x7F800000u) return static_cast<std::uint16_t>(sign | 0x7E00u | ((abs >> 13) & 0x1FFu));
    if (abs >= 0x47800000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // >= 65536: inf
    if (abs >= 0x38800000u) {                                                    // normal half
      const std::uint32_t rounded = abs + 0xFFFu + ((abs >> 13) & 1u);          // RNE at bit 13
      const std::uint32_t h = (rounded >> 13) - (112u << 10);
      return static_cast<std::uint16_t>(sign | h);  // carries into exp, up to inf, correctly
    }
    // Subnormal half (or zero): scale so that one half-subnormal ulp is one integer unit, and
    // let float addition round to nearest even: 0.5f magic = 2^-1, ulp(2^-1 .. 1) = 2^-24.
    const float a = bits_float(abs);
    const float r = a + 0.5f;  // exact RNE of a to multiples of 2^-24
    const std::uint32_t m = float_bits(r) - float_bits(0.5f);
    return static_cast<std::uint16_t>(sign | m);
  }
};

/// bfloat16: the top 16 bits of a binary32, narrowed with round-to-nearest-even, NaN kept quiet.
struct Bfloat16Codec {
  GEM_HOST_DEVICE static float to_float(std::uint16_t b) { return bits_float(static_cast<std::uint32_t>(b) << 16); }
  GEM_HOST_DEVICE static std::uint16_t from_float(float f) {
    const std::uint32_t u = float_bits(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((u >> 16) | 0x40u);  // quiet NaN
    return static_cast<std::uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
  }
};
}  // namespace detail

/// IEEE binary16 storage.
struct half : detail::Storage16<half, detail::Binary16Codec> {
  half() = default;
  GEM_HOST_DEVICE explicit half(float f) { bits = from_float(f); }
};

/// bfloat16 storage.
struct bfloat16 : detail::Storage16<bfloat16, detail::Bfloat16Codec> {
  bfloat16() = default;
  GEM_HOST_DEVICE explicit bfloat16(float f) { bits = from_float(f); }
};

static_assert(sizeof(half) == 2 && sizeof(bfloat16) == 2, "16-bit storage types must be 2 bytes");
static_assert(std::is_trivially_copyable<half>::value && std::is_standard_layout<bfloat16>::value,
              "16-bit storage types are plain bits (memcpy, reinterpret as at::Half / __half)");

/// The type arithmetic is done in for storage type T (PyTorch's OpMathType): float for
/// the 16-bit types, T itself otherwise.
template <class T> struct opmath { using type = T; };
template <> struct opmath<half> { using type = float; };
template <> struct opmath<bfloat16> { using type = float; };
template <class T> using opmath_t = typename opmath<T>::type;

/// Widen storage to math type / narrow math type to storage (one rounding).
template <class T> GEM_HOST_DEVICE GEM_INLINE opmath_t<T> widen(T v) { return static_cast<opmath_t<T>>(v); }
template <class T> GEM_HOST_DEVICE GEM_INLINE T narrow(opmath_t<T> v) { return static_cast<T>(v); }

/// Element types a kernel can be asked for, by name (the spelling of the tools and of torch).
enum class DType { float64, float32, float16, bfloat16 };
constexpr DType kDTypes[] = {DType::float64, DType::float32, DType::float16, DType::bfloat16};

/// "float64", "float32", "float16" or "bfloat16".
constexpr const char* dtype_name(DType t) {
  constexpr const char* kNames[] = {"float64", "float32", "float16", "bfloat16"};
  return kNames[static_cast<int>(t)];
}

/// The DType of storage type T (double, float, half, bfloat16).
template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, double>)
    return DType::float64;
  else if constexpr (std::is_same_v<T, float>)
    return DType::float32;
  else if constexpr (std::is_same_v<T, half>)
    return DType::float16;
  else {
    static_assert(std::is_same_v<T, bfloat16>, "a storage type is double, float, half or bfloat16");
    return DType::bfloat16;
  }
}

}  // namespace gem
