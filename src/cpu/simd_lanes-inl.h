// The lane type through which the per-target code instantiates the formulas of
// include/gem/act/gem_lanes.h: a Highway vector with the arithmetic operators, comparisons
// and the free functions select / any / mask_or that gem_lanes.h finds by argument-dependent
// lookup. No formula lives here.
//
// Compiled once per SIMD target (Highway's per-target include guard below).
//
// Why plain `inline` and not HWY_INLINE (always_inline): the lane forms are templates defined
// outside the per-target region, so they carry no target attribute. GCC refuses to force a
// function with a wider target (these operators) into one without it ("target specific option
// mismatch"). Plain `inline` lets GCC first inline the lane form into the per-target loop and
// then these one-instruction operators into it; gem_kernels.cc's loops are HWY_FLATTEN so this
// always happens (checked with objdump: no calls remain in the loops).

#if defined(GEM_CPU_SIMD_LANES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GEM_CPU_SIMD_LANES_INL_H_
#undef GEM_CPU_SIMD_LANES_INL_H_
#else
#define GEM_CPU_SIMD_LANES_INL_H_
#endif

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace gem::cpu {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

/// A vector of the math type (float or double) for descriptor D.
template <class D>
struct Lanes {
  hn::Vec<D> v;
};

template <class D>
struct LaneMask {
  hn::Mask<D> m;
};

template <class D>
inline Lanes<D> operator+(Lanes<D> a, Lanes<D> b) {
  return {hn::Add(a.v, b.v)};
}
template <class D>
inline Lanes<D> operator-(Lanes<D> a, Lanes<D> b) {
  return {hn::Sub(a.v, b.v)};
}
template <class D>
inline Lanes<D> operator*(Lanes<D> a, Lanes<D> b) {
  return {hn::Mul(a.v, b.v)};
}
template <class D>
inline Lanes<D> operator/(Lanes<D> a, Lanes<D> b) {
  return {hn::Div(a.v, b.v)};
}

template <class D>
inline LaneMask<D> operator<(Lanes<D> a, Lanes<D> b) {
  return {hn::Lt(a.v, b.v)};
}
template <class D>
inline LaneMask<D> operator>(Lanes<D> a, Lanes<D> b) {
  return {hn::Gt(a.v, b.v)};
}
template <class D>
inline LaneMask<D> operator<=(Lanes<D> a, Lanes<D> b) {
  return {hn::Le(a.v, b.v)};
}
template <class D>
inline LaneMask<D> operator>=(Lanes<D> a, Lanes<D> b) {
  return {hn::Ge(a.v, b.v)};
}

/// m ? a : b per lane.
template <class D>
inline Lanes<D> select(LaneMask<D> m, Lanes<D> a, Lanes<D> b) {
  return {hn::IfThenElse(m.m, a.v, b.v)};
}
/// True when any lane is set (guards the rare far-tail branches of the SE-GEM forms).
template <class D>
inline bool any(LaneMask<D> m) {
  return !hn::AllFalse(D(), m.m);
}
template <class D>
inline LaneMask<D> mask_or(LaneMask<D> a, LaneMask<D> b) {
  return {hn::Or(a.m, b.m)};
}
template <class D>
inline LaneMask<D> mask_and(LaneMask<D> a, LaneMask<D> b) {
  return {hn::And(a.m, b.m)};
}

}  // namespace HWY_NAMESPACE
}  // namespace gem::cpu
HWY_AFTER_NAMESPACE();

#endif  // GEM_CPU_SIMD_LANES_INL_H_
