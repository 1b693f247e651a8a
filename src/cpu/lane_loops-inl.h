// The per-block pieces of the CPU loops, shared by the one-eps loops (gem_kernels.cc) and the
// per-channel row loops (row_kernels.cc): the constants of a job on lanes, the activation of one
// vector (the lane forms of include/gem/act/gem_lanes.h and gem_eps_lanes.h), one block with its
// gradient, the zero-padded partial block, prefetching and when blocks can be streamed. No
// formula lives here.
//
// Compiled once per SIMD target (Highway's per-target include guard below).

#if defined(GEM_CPU_LANE_LOOPS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GEM_CPU_LANE_LOOPS_INL_H_
#undef GEM_CPU_LANE_LOOPS_INL_H_
#else
#define GEM_CPU_LANE_LOOPS_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "gem/act/gem_eps_lanes.h"
#include "gem/act/gem_lanes.h"
#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "src/cpu/kernel_job.h"
#include "src/cpu/simd_lanes-inl.h"
#include "src/cpu/storage-inl.h"
#include "src/cpu/tuning.h"

HWY_BEFORE_NAMESPACE();
namespace gem::cpu {
namespace HWY_NAMESPACE {

template <class T>
using MathTag = hn::ScalableTag<opmath_t<T>>;

/// Broadcasts a constant (what lane_constants needs to build LaneConstants<Lanes<D>>).
template <class D>
struct Splat {
  inline Lanes<D> operator()(hn::TFromD<D> s) const { return {hn::Set(D(), s)}; }
};

/// The constants of a job on lanes: those of f and f' (gem_lanes.h), the scale of df/deps, and
/// the scalar algorithm's for the lanes the lane form of df/deps flags: lane i's are
/// eps_c[i * eps_c_stride] (stride 0: one eps; 1: one per lane, row_kernels.cc).
template <class D>
struct JobLanes {
  LaneConstants<Lanes<D>> k;
  EpsLaneScale<Lanes<D>> s;
  const EpsGradConstants<hn::TFromD<D>>* eps_c;
  std::size_t eps_c_stride;
};

/// df/deps by gem_eps_grad.h on the flagged lanes of v (rare: |x| or the result near the ends
/// of the format), kept out of line so the common loop stays small.
template <bool kSegem, class D>
HWY_NOINLINE hn::Vec<D> ExactLanes(D d, hn::Vec<D> x, hn::Vec<D> v, hn::Mask<D> flagged,
                                   const EpsGradConstants<hn::TFromD<D>>* c, std::size_t stride) {
  using W = hn::TFromD<D>;
  HWY_ALIGN W xs[HWY_LANES(W)], vs[HWY_LANES(W)], fs[HWY_LANES(W)];
  hn::Store(x, d, xs);
  hn::Store(v, d, vs);
  hn::Store(hn::VecFromMask(d, flagged), d, fs);  // all-ones bits (a NaN) where flagged, else +0
  for (std::size_t i = 0; i < hn::Lanes(d); ++i)
    if (!(fs[i] == W(0)))
      vs[i] = gem_eps_partial(kSegem ? Variant::segem : Variant::egem, Quantity::df_deps, xs[i], c[i * stride]);
  return hn::Load(d, vs);
}

/// f, f' or df/deps of the variant on one vector. kSegem: SE-GEM, else E-GEM (and GEM).
template <int N, bool kSegem, Op kOp, class D>
HWY_INLINE Lanes<D> Activation(const Lanes<D>& x, const JobLanes<D>& c) {
  if constexpr (kOp == Op::eps_partial) {
    const auto r = kSegem ? segem_eps_grad_lanes<N>(x, c.k, c.s) : egem_eps_grad_lanes<N>(x, c.k, c.s);
    if (!any(r.exact)) return r.value;
    return {ExactLanes<kSegem>(D(), x.v, r.value.v, r.exact.m, c.eps_c, c.eps_c_stride)};
  } else if constexpr (kSegem) {
    if constexpr (kOp == Op::forward)
      return segem_lanes<N>(x, c.k);
    else
      return segem_grad_lanes<N>(x, c.k);
  } else {
    if constexpr (kOp == Op::forward)
      return egem_lanes<N>(x, c.k);
    else
      return egem_grad_lanes<N>(x, c.k);
  }
}

/// The results for one block (one vector, or two for paired bfloat16) starting at x (and
/// grad_out at g for backward); for eps_grads also adds grad_out df/deps to `acc`.
template <int N, bool kSegem, Op kOp, class D, class T>
HWY_INLINE Block<T, D> ComputeBlock(D d, const T* x, const T* g, const JobLanes<D>& c, hn::Vec<D>* acc) {
  const Block<T, D> xb = LoadBlock(d, x);
  Block<T, D> yb;
  constexpr Op kValue = kOp == Op::eps_grads ? Op::backward : kOp;
  for (std::size_t j = 0; j < kBlockVectors<T>; ++j) yb.v[j] = Activation<N, kSegem, kValue>(Lanes<D>{xb.v[j]}, c).v;
  if constexpr (kOp == Op::backward || kOp == Op::eps_grads) {
    const Block<T, D> gb = LoadBlock(d, g);
    for (std::size_t j = 0; j < kBlockVectors<T>; ++j) {
      if constexpr (kOp == Op::eps_grads) {
        const hn::Vec<D> fe = Activation<N, kSegem, Op::eps_partial>(Lanes<D>{xb.v[j]}, c).v;
        *acc = hn::MulAdd(gb.v[j], fe, *acc);
      }
      yb.v[j] = hn::Mul(gb.v[j], yb.v[j]);
    }
  }
  return yb;
}

/// Fewer than one block (head before an aligned body, or the tail): the same per-block code
/// on a zero-padded copy, so these elements get exactly the arithmetic of full blocks (padding
/// adds 0 * df/deps(0) = 0 to the sum).
template <int N, bool kSegem, Op kOp, class D, class T>
HWY_INLINE void PartialBlock(D d, const T* x, const T* g, T* y, std::size_t count, const JobLanes<D>& c,
                             hn::Vec<D>* acc) {
  constexpr std::size_t kMaxLanes = HWY_LANES(hn::TFromD<D>) * kBlockVectors<T>;
  HWY_ALIGN T xb[kMaxLanes] = {};
  HWY_ALIGN T gb[kMaxLanes] = {};
  HWY_ALIGN T yb[kMaxLanes];
  std::memcpy(xb, x, count * sizeof(T));
  if constexpr (kOp == Op::backward || kOp == Op::eps_grads) std::memcpy(gb, g, count * sizeof(T));
  StoreBlock<false>(d, ComputeBlock<N, kSegem, kOp>(d, xb, gb, c, acc), yb);
  std::memcpy(y, yb, count * sizeof(T));
}

/// Asks for the inputs tuning::kPrefetchBytes ahead: one core alone does not keep enough
/// loads in flight to reach the memory bandwidth otherwise. Prefetches never fault, so the
/// address may lie past the array (computed as an integer for that reason).
template <Op kOp, class T>
HWY_INLINE void PrefetchAhead(const T* x, const T* g) {
  hwy::Prefetch(reinterpret_cast<const T*>(reinterpret_cast<std::uintptr_t>(x) + tuning::kPrefetchBytes));
  if constexpr (kOp == Op::backward || kOp == Op::eps_grads) {
    hwy::Prefetch(reinterpret_cast<const T*>(reinterpret_cast<std::uintptr_t>(g) + tuning::kPrefetchBytes));
  }
}

/// Streaming needs whole stored vectors of at least 16 bytes (Highway's 128-bit Stream writes
/// 16 bytes even for half vectors, e.g. four binary16 lanes on SSE4).
template <class T>
constexpr bool kCanStream = HWY_LANES(opmath_t<T>) * kBlockVectors<T> * sizeof(T) >= 16;

/// Blocks whose grad_out df/deps are summed in the math type before the sum moves to double:
/// short enough that float's rounding stays near one ulp of the partial sums.
constexpr std::size_t kSumBlocks = 32;

}  // namespace HWY_NAMESPACE
}  // namespace gem::cpu
HWY_AFTER_NAMESPACE();

#endif  // GEM_CPU_LANE_LOOPS_INL_H_
