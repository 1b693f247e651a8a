// The CPU kernels: per-target loops over the lane forms of include/gem/act/gem_lanes.h
// (Highway dynamic dispatch, following hwy/examples/skeleton.cc), one dispatch table, and
// OpenMP over fixed chunks. See README.md for the rules of this folder.
//
//   forward:   y = f(x)                 E-GEM / GEM: egem_lanes;  SE-GEM: segem_lanes
//   backward:  grad_in = grad_out f'(x)  egem_grad_lanes / segem_grad_lanes
//   GEM is E-GEM with eps = 1 (spec 1), so it shares the E-GEM instantiations.
// The lane forms are instantiated for N = 1..8 with N a template argument (unrolled powers).

// ---- Per-target code (this file is compiled once per SIMD target) -------------------------------
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/cpu/gem_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

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

/// f or f' of the variant on one vector. kSegem: SE-GEM, else E-GEM (and GEM).
template <int N, bool kSegem, Op kOp, class D>
HWY_INLINE Lanes<D> Activation(const Lanes<D>& x, const LaneConstants<Lanes<D>>& k) {
  if constexpr (kSegem) {
    if constexpr (kOp == Op::forward) return segem_lanes<N>(x, k);
    else return segem_grad_lanes<N>(x, k);
  } else {
    if constexpr (kOp == Op::forward) return egem_lanes<N>(x, k);
    else return egem_grad_lanes<N>(x, k);
  }
}

/// The results for one block (one vector, or two for paired bfloat16) starting at x (and
/// grad_out at g for backward).
template <int N, bool kSegem, Op kOp, class D, class T>
HWY_INLINE Block<T, D> ComputeBlock(D d, const T* x, const T* g, const LaneConstants<Lanes<D>>& k) {
  const Block<T, D> xb = LoadBlock(d, x);
  Block<T, D> yb;
  for (std::size_t j = 0; j < kBlockVectors<T>; ++j) yb.v[j] = Activation<N, kSegem, kOp>(Lanes<D>{xb.v[j]}, k).v;
  if constexpr (kOp == Op::backward) {
    const Block<T, D> gb = LoadBlock(d, g);
    for (std::size_t j = 0; j < kBlockVectors<T>; ++j) yb.v[j] = hn::Mul(gb.v[j], yb.v[j]);
  }
  return yb;
}

/// Fewer than one block (head before an aligned body, or the tail): the same per-block code
/// on a zero-padded copy, so these elements get exactly the arithmetic of full blocks.
template <int N, bool kSegem, Op kOp, class D, class T>
HWY_INLINE void PartialBlock(D d, const T* x, const T* g, T* y, std::size_t count, const LaneConstants<Lanes<D>>& k) {
  constexpr std::size_t kMaxLanes = HWY_LANES(hn::TFromD<D>) * kBlockVectors<T>;
  HWY_ALIGN T xb[kMaxLanes] = {};
  HWY_ALIGN T gb[kMaxLanes] = {};
  HWY_ALIGN T yb[kMaxLanes];
  std::memcpy(xb, x, count * sizeof(T));
  if constexpr (kOp == Op::backward) std::memcpy(gb, g, count * sizeof(T));
  StoreBlock<false>(d, ComputeBlock<N, kSegem, kOp>(d, xb, gb, k), yb);
  std::memcpy(y, yb, count * sizeof(T));
}

/// Asks for the inputs tuning::kPrefetchBytes ahead: one core alone does not keep enough
/// loads in flight to reach the memory bandwidth otherwise. Prefetches never fault, so the
/// address may lie past the array (computed as an integer for that reason).
template <Op kOp, class T>
HWY_INLINE void PrefetchAhead(const T* x, const T* g) {
  hwy::Prefetch(reinterpret_cast<const T*>(reinterpret_cast<std::uintptr_t>(x) + tuning::kPrefetchBytes));
  if constexpr (kOp == Op::backward) {
    hwy::Prefetch(reinterpret_cast<const T*>(reinterpret_cast<std::uintptr_t>(g) + tuning::kPrefetchBytes));
  }
}

/// job.out[i] for i in [begin, end). kStream: the body is stored with non-temporal stores
/// (after a head that aligns the output), for arrays far larger than the caches.
template <int N, bool kSegem, Op kOp, bool kStream, class T>
HWY_NOINLINE HWY_FLATTEN void RunRange(const KernelJob<T>& job, std::size_t begin, std::size_t end) {
  using D = MathTag<T>;
  const D d;
  const std::size_t step = BlockLanes<T>(d);
  const LaneConstants<Lanes<D>> k = lane_constants<Lanes<D>>(job.c, Splat<D>());
  const T* x = job.x;
  const T* g = kOp == Op::backward ? job.grad_out : x;  // never read in forward
  T* y = job.out;

  std::size_t i = begin;
  if constexpr (kStream) {
    const std::size_t block_bytes = step * sizeof(T);
    const std::size_t misalign = reinterpret_cast<std::uintptr_t>(y + i) % block_bytes;
    const std::size_t head = misalign == 0 ? 0 : (block_bytes - misalign) / sizeof(T);
    if (head != 0 && head < end - i && misalign % sizeof(T) == 0) {
      PartialBlock<N, kSegem, kOp>(d, x + i, g + i, y + i, head, k);
      i += head;
    }
    if (reinterpret_cast<std::uintptr_t>(y + i) % block_bytes == 0) {
      for (; i + step <= end; i += step) {
        PrefetchAhead<kOp>(x + i, g + i);
        StoreBlock<true>(d, ComputeBlock<N, kSegem, kOp>(d, x + i, g + i, k), y + i);
      }
      hwy::FlushStream();  // non-temporal stores are weakly ordered: fence before returning
    }
  }
  for (; i + step <= end; i += step) {
    PrefetchAhead<kOp>(x + i, g + i);
    StoreBlock<false>(d, ComputeBlock<N, kSegem, kOp>(d, x + i, g + i, k), y + i);
  }
  if (i < end) PartialBlock<N, kSegem, kOp>(d, x + i, g + i, y + i, end - i, k);
}

// Streaming needs whole stored vectors of at least 16 bytes (Highway's 128-bit Stream writes
// 16 bytes even for half vectors, e.g. four binary16 lanes on SSE4).
template <class T>
constexpr bool kCanStream = HWY_LANES(opmath_t<T>) * kBlockVectors<T> * sizeof(T) >= 16;

template <bool kSegem, Op kOp, bool kStream, class T>
RangeFn<T> PickOrder(int n) {
  switch (n) {
    case 1: return &RunRange<1, kSegem, kOp, kStream, T>;
    case 2: return &RunRange<2, kSegem, kOp, kStream, T>;
    case 3: return &RunRange<3, kSegem, kOp, kStream, T>;
    case 4: return &RunRange<4, kSegem, kOp, kStream, T>;
    case 5: return &RunRange<5, kSegem, kOp, kStream, T>;
    case 6: return &RunRange<6, kSegem, kOp, kStream, T>;
    case 7: return &RunRange<7, kSegem, kOp, kStream, T>;
    case 8: return &RunRange<8, kSegem, kOp, kStream, T>;
  }
  return nullptr;  // unreachable: N was validated
}

template <bool kSegem, Op kOp, class T>
RangeFn<T> PickStream(const KernelJob<T>& job) {
  if constexpr (kCanStream<T>) {
    if (job.stream) return PickOrder<kSegem, kOp, true, T>(job.c.n);
  }
  return PickOrder<kSegem, kOp, false, T>(job.c.n);
}

/// The loop for this target and this job's (variant, N, op).
template <class T>
RangeFn<T> Pick(const KernelJob<T>& job) {
  const bool segem = job.variant == Variant::segem;
  if (job.op == Op::forward) return segem ? PickStream<true, Op::forward>(job) : PickStream<false, Op::forward>(job);
  return segem ? PickStream<true, Op::backward>(job) : PickStream<false, Op::backward>(job);
}

// ---- The 16-bit conversions alone (convert.h): same loads/stores, same tail handling ----------

// Blocks may hold their elements out of order (paired bfloat16: even ones in v[0], odd ones in
// v[1]); these array functions put them back in order through small buffers (BlockSlot).
// They serve the tests of the conversions only.

template <class T>
void WidenArray(const T* in, float* out, std::size_t n) {
  using D = hn::ScalableTag<float>;
  const D d;
  const std::size_t step = BlockLanes<T>(d);
  for (std::size_t i = 0; i < n; i += step) {
    const std::size_t count = std::min(step, n - i);
    HWY_ALIGN T ib[HWY_LANES(float) * kBlockVectors<T>] = {};
    HWY_ALIGN float ob[kBlockVectors<T>][HWY_LANES(float)];
    std::memcpy(ib, in + i, count * sizeof(T));
    const Block<T, D> b = LoadBlock(d, ib);
    for (std::size_t j = 0; j < kBlockVectors<T>; ++j) hn::Store(b.v[j], d, ob[j]);
    for (std::size_t e = 0; e < count; ++e) {
      const auto [j, lane] = BlockSlot<T>(hn::Lanes(d), e);
      out[i + e] = ob[j][lane];
    }
  }
}

template <class T>
void NarrowArray(const float* in, T* out, std::size_t n) {
  using D = hn::ScalableTag<float>;
  const D d;
  const std::size_t step = BlockLanes<T>(d);
  for (std::size_t i = 0; i < n; i += step) {
    const std::size_t count = std::min(step, n - i);
    HWY_ALIGN float ib[kBlockVectors<T>][HWY_LANES(float)] = {};
    HWY_ALIGN T ob[HWY_LANES(float) * kBlockVectors<T>];
    for (std::size_t e = 0; e < count; ++e) {
      const auto [j, lane] = BlockSlot<T>(hn::Lanes(d), e);
      ib[j][lane] = in[i + e];
    }
    Block<T, D> b;
    for (std::size_t j = 0; j < kBlockVectors<T>; ++j) b.v[j] = hn::Load(d, ib[j]);
    StoreBlock<false>(d, b, ob);
    std::memcpy(out + i, ob, count * sizeof(T));
  }
}

void WidenF16(const half* in, float* out, std::size_t n) { WidenArray(in, out, n); }
void WidenBF16(const bfloat16* in, float* out, std::size_t n) { WidenArray(in, out, n); }
void NarrowF16(const float* in, half* out, std::size_t n) { NarrowArray(in, out, n); }
void NarrowBF16(const float* in, bfloat16* out, std::size_t n) { NarrowArray(in, out, n); }

RangeFn<double> PickF64(const KernelJob<double>& job) { return Pick(job); }
RangeFn<float> PickF32(const KernelJob<float>& job) { return Pick(job); }
RangeFn<half> PickF16(const KernelJob<half>& job) { return Pick(job); }
RangeFn<bfloat16> PickBF16(const KernelJob<bfloat16>& job) { return Pick(job); }
const char* ChosenTargetName() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace gem::cpu
HWY_AFTER_NAMESPACE();

// ---- Dispatch table, threads and the public entry points (compiled once) ------------------------
#if HWY_ONCE

#include <omp.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "src/cpu/convert.h"
#include "src/cpu/kernels.h"

namespace gem::cpu {

HWY_EXPORT(PickF64);
HWY_EXPORT(PickF32);
HWY_EXPORT(PickF16);
HWY_EXPORT(PickBF16);
HWY_EXPORT(ChosenTargetName);
HWY_EXPORT(WidenF16);
HWY_EXPORT(WidenBF16);
HWY_EXPORT(NarrowF16);
HWY_EXPORT(NarrowBF16);

void validate_threads(long long threads, const char* who) {
  if (threads < 0 || threads > kMaxThreads)
    throw std::invalid_argument(std::string(who) + ": threads must be in [0, " + std::to_string(kMaxThreads) +
                                "] (0 = OpenMP's maximum), got " + std::to_string(threads));
}

namespace {

using tuning::kChunk;
using tuning::kParallelMin;
using tuning::kStreamMinBytes;

int resolve_threads(int threads) {
  validate_threads(threads, "gem::cpu");
  return threads == 0 ? std::min(omp_get_max_threads(), kMaxThreads) : threads;
}

/// body(begin, end) over [0, n) in fixed chunks on up to `threads` threads.
template <class Body>
void parallel_ranges(std::size_t n, int threads, const Body& body) {
  const std::size_t chunks = (n + kChunk - 1) / kChunk;
  const int team = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads), chunks));
  if (n < kParallelMin || team <= 1) {
    body(std::size_t(0), n);
    return;
  }
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::ptrdiff_t c = 0; c < static_cast<std::ptrdiff_t>(chunks); ++c) {
    const std::size_t begin = static_cast<std::size_t>(c) * kChunk;
    body(begin, std::min(n, begin + kChunk));
  }
}

template <class T>
RangeFn<T> pick(const KernelJob<T>& job) {
  if constexpr (std::is_same_v<T, double>) return HWY_DYNAMIC_DISPATCH(PickF64)(job);
  else if constexpr (std::is_same_v<T, float>) return HWY_DYNAMIC_DISPATCH(PickF32)(job);
  else if constexpr (std::is_same_v<T, half>) return HWY_DYNAMIC_DISPATCH(PickF16)(job);
  else return HWY_DYNAMIC_DISPATCH(PickBF16)(job);
}

template <class T>
void run(Op op, const Params& p, const T* grad_out, const T* x, T* out, std::size_t n, int threads) {
  validate(p);
  const int team = resolve_threads(threads);
  if (n == 0) return;
  if constexpr (!std::is_same_v<T, double>) {
    if (!eps_fits_binary32(p.eps)) {  // spec 3.2: binary32 constants would lose precision
      parallel_ranges(n, team, [&](std::size_t b, std::size_t e) {
        if (op == Op::forward) reference::forward(p, x + b, out + b, e - b);
        else reference::backward(p, grad_out + b, x + b, out + b, e - b);
      });
      return;
    }
  }
  const KernelJob<T> job{op, p.variant, x, grad_out, out, make_constants<opmath_t<T>>(p),
                         n * sizeof(T) >= kStreamMinBytes};
  const RangeFn<T> range = pick(job);
  parallel_ranges(n, team, [&](std::size_t b, std::size_t e) { range(job, b, e); });
}

}  // namespace

template <class T>
void forward(const Params& p, const T* x, T* y, std::size_t n, int threads) {
  run<T>(Op::forward, p, nullptr, x, y, n, threads);
}

template <class T>
void backward(const Params& p, const T* grad_out, const T* x, T* grad_in, std::size_t n, int threads) {
  run<T>(Op::backward, p, grad_out, x, grad_in, n, threads);
}

// Not hot (second-order autograd only): the scalar reference formula, in chunks over threads.
template <class T>
void backward_grad2(const Params& p, const T* grad, const T* x, T* out, std::size_t n, int threads) {
  validate(p);
  const int team = resolve_threads(threads);
  if (n == 0) return;
  parallel_ranges(n, team, [&](std::size_t b, std::size_t e) {
    reference::backward_grad2(p, grad + b, x + b, out + b, e - b);
  });
}

const char* simd_target() { return HWY_DYNAMIC_DISPATCH(ChosenTargetName)(); }

template <class T>
void widen_to_float(const T* in, float* out, std::size_t n) {
  if constexpr (std::is_same_v<T, half>) HWY_DYNAMIC_DISPATCH(WidenF16)(in, out, n);
  else HWY_DYNAMIC_DISPATCH(WidenBF16)(in, out, n);
}
template <class T>
void narrow_from_float(const float* in, T* out, std::size_t n) {
  if constexpr (std::is_same_v<T, half>) HWY_DYNAMIC_DISPATCH(NarrowF16)(in, out, n);
  else HWY_DYNAMIC_DISPATCH(NarrowBF16)(in, out, n);
}
template void widen_to_float<half>(const half*, float*, std::size_t);
template void widen_to_float<bfloat16>(const bfloat16*, float*, std::size_t);
template void narrow_from_float<half>(const float*, half*, std::size_t);
template void narrow_from_float<bfloat16>(const float*, bfloat16*, std::size_t);

#define GEM_CPU_KERNELS_INSTANTIATE(T)                                                             \
  template void forward<T>(const Params&, const T*, T*, std::size_t, int);                         \
  template void backward<T>(const Params&, const T*, const T*, T*, std::size_t, int);              \
  template void backward_grad2<T>(const Params&, const T*, const T*, T*, std::size_t, int);
GEM_CPU_KERNELS_INSTANTIATE(double)
GEM_CPU_KERNELS_INSTANTIATE(float)
GEM_CPU_KERNELS_INSTANTIATE(half)
GEM_CPU_KERNELS_INSTANTIATE(bfloat16)
#undef GEM_CPU_KERNELS_INSTANTIATE

}  // namespace gem::cpu

#endif  // HWY_ONCE
