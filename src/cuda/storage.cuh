// Device-side loads, stores and conversions of the storage types (numeric.h).
//
// 16-bit values are reinterpreted as __half / __nv_bfloat16 for the hardware conversions:
// widening is exact; narrowing (__float2half_rn, __float2bfloat16_rn, __double2half,
// __double2bfloat16) rounds once to nearest even with overflow to inf, like numeric.h's
// half(float) and bfloat16(float) (tests/cuda/conversion_test.cu compares them on every float).
// NaN stays NaN (the payload may differ).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "gem/numeric.h"
#include "src/cuda/vector_split.h"

namespace gem::cuda::detail {

/// G consecutive elements moved as one access: with the default G a 16-byte vector, one
/// ld/st.global.v4 (v2 for double) at an aligned address; G = 1 is a plain element.
template <class T, int G = kVectorLanes<T>>
struct alignas(sizeof(T) * G) Packet {
  T lane[G];
};

template <int G, class T>
__device__ __forceinline__ Packet<T, G> load_packet(const T* p) {
  return *reinterpret_cast<const Packet<T, G>*>(p);
}
template <int G, class T>
__device__ __forceinline__ void store_packet(T* p, const Packet<T, G>& v) {
  *reinterpret_cast<Packet<T, G>*>(p) = v;
}

/// Storage -> math type (exact).
__device__ __forceinline__ double to_math(double v) { return v; }
__device__ __forceinline__ float to_math(float v) { return v; }
__device__ __forceinline__ float to_math(half v) { return __half2float(__ushort_as_half(v.bits)); }
__device__ __forceinline__ float to_math(bfloat16 v) { return __bfloat162float(__ushort_as_bfloat16(v.bits)); }

/// Math type (float or double) -> storage, one rounding to nearest even.
template <class T>
struct Narrow;
template <>
struct Narrow<double> {
  __device__ static __forceinline__ double from(double v) { return v; }
};
template <>
struct Narrow<float> {
  __device__ static __forceinline__ float from(float v) { return v; }
  __device__ static __forceinline__ float from(double v) { return __double2float_rn(v); }
};
template <>
struct Narrow<half> {
  __device__ static __forceinline__ half from(float v) { return half::from_bits(__half_as_ushort(__float2half_rn(v))); }
  __device__ static __forceinline__ half from(double v) { return half::from_bits(__half_as_ushort(__double2half(v))); }
};
template <>
struct Narrow<bfloat16> {
  __device__ static __forceinline__ bfloat16 from(float v) {
    return bfloat16::from_bits(__bfloat16_as_ushort(__float2bfloat16_rn(v)));
  }
  __device__ static __forceinline__ bfloat16 from(double v) {
    return bfloat16::from_bits(__bfloat16_as_ushort(__double2bfloat16(v)));
  }
};

template <class T, class M>
__device__ __forceinline__ T narrow_to(M v) {
  return Narrow<T>::from(v);
}

}  // namespace gem::cuda::detail
