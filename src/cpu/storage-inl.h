// Loading storage types into math lanes and storing them back, per SIMD target:
//   double, float       as they are;
//   gem::half           widened exactly to float; narrowed with round-to-nearest-even;
//   gem::bfloat16       widened exactly (a 16-bit shift); narrowed with round-to-nearest-even.
// The narrowing is the one of include/gem/numeric.h (overflow to +-inf, gradual underflow to
// subnormals, NaN kept quiet), so vector and scalar paths store the same bits. Highway 1.0.3's
// DemoteTo to bfloat16 truncates, and without F16C its binary16 conversions truncate and do
// not handle inf/NaN, so those are done here on the integer bits; with F16C (AVX2 and up) the
// hardware conversion is already exact / round-to-nearest-even and is used.
//
// Compiled once per SIMD target (Highway's per-target include guard below).

#if defined(GEM_CPU_STORAGE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GEM_CPU_STORAGE_INL_H_
#undef GEM_CPU_STORAGE_INL_H_
#else
#define GEM_CPU_STORAGE_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "gem/numeric.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace gem::cpu {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

// ---- binary16 and bfloat16 bits <-> float lanes -----------------------------------------------

// F16C: hardware binary16 <-> binary32 conversions (vcvtph2ps / vcvtps2ph with RNE).
#undef GEM_CPU_HW_F16
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2 && !defined(HWY_DISABLE_F16C)
#define GEM_CPU_HW_F16 1
#else
#define GEM_CPU_HW_F16 0
#endif

/// binary16 bits -> float, exact.
template <class D>
HWY_INLINE hn::Vec<D> HalfBitsToFloat(D d, hn::Vec<hn::Rebind<uint16_t, D>> bits) {
#if GEM_CPU_HW_F16
  return hn::PromoteTo(d, hn::BitCast(hn::Rebind<hwy::float16_t, D>(), bits));
#else
  const hn::RebindToSigned<D> di;
  const auto h = hn::PromoteTo(di, bits);  // zero-extended
  // Exponent and mantissa moved to binary32's places: a float 2^-112 times the half's value
  // (for subnormal halves too), so one multiplication by 2^112 finishes the job exactly.
  const auto mag = hn::ShiftLeft<13>(hn::And(h, hn::Set(di, 0x7FFF)));
  auto v = hn::Mul(hn::BitCast(d, mag), hn::Set(d, 5.192296858534828e33f));  // 2^112
  const auto inf_nan = hn::Eq(hn::And(h, hn::Set(di, 0x7C00)), hn::Set(di, 0x7C00));
  v = hn::IfThenElse(hn::RebindMask(d, inf_nan), hn::BitCast(d, hn::Or(mag, hn::Set(di, 0x7F800000))), v);
  const auto sign = hn::ShiftLeft<16>(hn::And(h, hn::Set(di, 0x8000)));
  return hn::Or(v, hn::BitCast(d, sign));
#endif
}

/// float -> binary16 bits, round to nearest even (gem::half::from_float on every lane).
template <class D>
HWY_INLINE hn::Vec<hn::Rebind<uint16_t, D>> FloatToHalfBits(D d, hn::Vec<D> v) {
  const hn::Rebind<uint16_t, D> du16;
#if GEM_CPU_HW_F16
  return hn::BitCast(du16, hn::DemoteTo(hn::Rebind<hwy::float16_t, D>(), v));
#else
  const hn::RebindToSigned<D> di;
  const auto u = hn::BitCast(di, v);
  const auto sign = hn::And(hn::ShiftRight<16>(u), hn::Set(di, 0x8000));
  const auto abs = hn::And(u, hn::Set(di, 0x7FFFFFFF));
  // Subnormal half (or zero): adding 0.5f rounds to a multiple of 2^-24 (RNE), whose bits
  // above those of 0.5f are the half's mantissa.
  const auto small = hn::Sub(hn::BitCast(di, hn::Add(hn::BitCast(d, abs), hn::Set(d, 0.5f))),
                             hn::Set(di, 0x3F000000));
  // Normal half: RNE at bit 13; a carry moves into the exponent, up to inf, correctly.
  const auto lsb = hn::And(hn::ShiftRight<13>(abs), hn::Set(di, 1));
  const auto normal = hn::Sub(hn::ShiftRight<13>(hn::Add(abs, hn::Add(hn::Set(di, 0xFFF), lsb))),
                              hn::Set(di, 112 << 10));
  const auto quiet_nan = hn::Or(hn::Set(di, 0x7E00), hn::And(hn::ShiftRight<13>(abs), hn::Set(di, 0x1FF)));
  // (Highway 1.0.3 has no integer >=: abs >= K is written abs > K - 1.)
  auto r = hn::IfThenElse(hn::Gt(abs, hn::Set(di, 0x387FFFFF)), normal, small);
  r = hn::IfThenElse(hn::Gt(abs, hn::Set(di, 0x477FFFFF)), hn::Set(di, 0x7C00), r);  // >= 65536
  r = hn::IfThenElse(hn::Gt(abs, hn::Set(di, 0x7F800000)), quiet_nan, r);
  return hn::DemoteTo(du16, hn::Or(r, sign));  // every lane is in [0, 0xFFFF]
#endif
}

/// bfloat16 bits -> float, exact.
template <class D>
HWY_INLINE hn::Vec<D> BF16BitsToFloat(D d, hn::Vec<hn::Rebind<uint16_t, D>> bits) {
  const hn::RebindToUnsigned<D> du;
  return hn::BitCast(d, hn::ShiftLeft<16>(hn::PromoteTo(du, bits)));
}

/// float -> 32-bit lanes whose upper 16 bits are the bfloat16 rounded to nearest even (NaN
/// kept quiet, as gem::bfloat16::from_float); the lower 16 bits are to be dropped.
template <class D>
HWY_INLINE hn::Vec<hn::RebindToUnsigned<D>> FloatToBF16High(D d, hn::Vec<D> v) {
  (void)d;
  const hn::RebindToUnsigned<D> du;
  auto u = hn::BitCast(du, v);
  // NaN: set the quiet bit and clear the bits below the bfloat16, so rounding cannot carry.
  u = hn::IfThenElse(hn::RebindMask(du, hn::IsNaN(v)),
                     hn::And(hn::Or(u, hn::Set(du, 0x00400000u)), hn::Set(du, 0xFFFF0000u)), u);
  const auto lsb = hn::And(hn::ShiftRight<16>(u), hn::Set(du, 1u));
  return hn::Add(u, hn::Add(hn::Set(du, 0x7FFFu), lsb));
}

/// float -> bfloat16 bits, round to nearest even, NaN kept quiet (gem::bfloat16::from_float).
template <class D>
HWY_INLINE hn::Vec<hn::Rebind<uint16_t, D>> FloatToBF16Bits(D d, hn::Vec<D> v) {
  const hn::RebindToSigned<D> di;
  const auto top = hn::ShiftRight<16>(FloatToBF16High(d, v));
  return hn::DemoteTo(hn::Rebind<uint16_t, D>(), hn::BitCast(di, top));  // lanes in [0, 0xFFFF]
}

// ---- Storage arrays <-> math lanes --------------------------------------------------------------

template <class D>
HWY_INLINE hn::Vec<D> LoadMath(D d, const double* p) {
  return hn::LoadU(d, p);
}
template <class D>
HWY_INLINE hn::Vec<D> LoadMath(D d, const float* p) {
  return hn::LoadU(d, p);
}
template <class D>
HWY_INLINE hn::Vec<D> LoadMath(D d, const half* p) {
  return HalfBitsToFloat(d, hn::LoadU(hn::Rebind<uint16_t, D>(), reinterpret_cast<const uint16_t*>(p)));
}
template <class D>
HWY_INLINE hn::Vec<D> LoadMath(D d, const bfloat16* p) {
  return BF16BitsToFloat(d, hn::LoadU(hn::Rebind<uint16_t, D>(), reinterpret_cast<const uint16_t*>(p)));
}

/// Stores one vector; kStream: non-temporal store to an address aligned to the stored size.
template <bool kStream, class D, class V, class T>
HWY_INLINE void StoreTo(D d, V v, T* p) {
  if constexpr (kStream) {
    hn::Stream(v, d, p);
  } else {
    hn::StoreU(v, d, p);
  }
}

template <bool kStream, class D>
HWY_INLINE void StoreMath(D d, hn::Vec<D> v, double* p) {
  StoreTo<kStream>(d, v, p);
}
template <bool kStream, class D>
HWY_INLINE void StoreMath(D d, hn::Vec<D> v, float* p) {
  StoreTo<kStream>(d, v, p);
}
template <bool kStream, class D>
HWY_INLINE void StoreMath(D d, hn::Vec<D> v, half* p) {
  StoreTo<kStream>(hn::Rebind<uint16_t, D>(), FloatToHalfBits(d, v), reinterpret_cast<uint16_t*>(p));
}
template <bool kStream, class D>
HWY_INLINE void StoreMath(D d, hn::Vec<D> v, bfloat16* p) {
  StoreTo<kStream>(hn::Rebind<uint16_t, D>(), FloatToBF16Bits(d, v), reinterpret_cast<uint16_t*>(p));
}

// ---- Blocks: what one load of storage fills ---------------------------------------------------
// One math vector, except for bfloat16 (not on the one-lane scalar target): a vector of
// 32-bit lanes holds two bfloat16, the even element in the lower half and the odd one in the
// upper half, so one load gives two float vectors by a shift and a mask (the odd one is
// already in place) and one store takes two, with no cross-lane shuffles: a third fewer
// operations than widening and narrowing each half. (Pairing binary16 the same way, as the
// two halves of one vector, was measured and gained nothing: F16C converts in one step.)

template <class T>
constexpr std::size_t kBlockVectors = (std::is_same_v<T, bfloat16> && HWY_TARGET != HWY_SCALAR) ? 2 : 1;

/// v[0] (and v[1]): the math vectors of one block. For paired bfloat16, v[0] holds the even
/// and v[1] the odd elements; everything in between is element-wise, so order does not matter.
template <class T, class D>
struct Block {
  hn::Vec<D> v[kBlockVectors<T>];
};

template <class T, class D>
HWY_INLINE std::size_t BlockLanes(D d) {
  return hn::Lanes(d) * kBlockVectors<T>;
}

/// Where element e of a block lives: {vector, lane} (for code that needs the order back).
template <class T>
HWY_INLINE std::pair<std::size_t, std::size_t> BlockSlot(std::size_t lanes, std::size_t e) {
  if constexpr (kBlockVectors<T> == 2) return {e % 2, e / 2};
  return {e / lanes, e % lanes};
}

template <class D, class T>
HWY_INLINE Block<T, D> LoadBlock(D d, const T* p) {
  if constexpr (kBlockVectors<T> == 2) {
    const hn::RebindToUnsigned<D> du;
    const auto u = hn::LoadU(du, reinterpret_cast<const uint32_t*>(p));
    return {{hn::BitCast(d, hn::ShiftLeft<16>(u)), hn::BitCast(d, hn::And(u, hn::Set(du, 0xFFFF0000u)))}};
  } else {
    return {{LoadMath(d, p)}};
  }
}

template <bool kStream, class D, class T>
HWY_INLINE void StoreBlock(D d, const Block<T, D>& b, T* p) {
  if constexpr (kBlockVectors<T> == 2) {
    const hn::RebindToUnsigned<D> du;
    const auto even = FloatToBF16High(d, b.v[0]);
    const auto odd = FloatToBF16High(d, b.v[1]);
    const auto packed = hn::Or(hn::And(odd, hn::Set(du, 0xFFFF0000u)), hn::ShiftRight<16>(even));
    StoreTo<kStream>(du, packed, reinterpret_cast<uint32_t*>(p));
  } else {
    StoreMath<kStream>(d, b.v[0], p);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace gem::cpu
HWY_AFTER_NAMESPACE();

#endif  // GEM_CPU_STORAGE_INL_H_
