// The gated (GLU) kernels: rows of [a | b], the two halves of one projection's output,
//
//   gated_forward:  y = f(a) * b
//   gated_backward: grad_a = (grad_out * b) * f'(a),  grad_b = grad_out * f(a)
//
// in one pass each, with f and f' from the lane forms of include/gem/act/gem_lanes.h on the
// math type and one rounding to the storage type. Inputs are prefetched ahead and large outputs
// stored non-temporally, as the elementwise loops do (tuning.h). For float and double the
// products are those of the unfused chain (forward, then a multiply; backward's grad_out * b,
// then gem's backward), so the bits are the same; 16-bit storage rounds once instead of after
// every step.

// ---- Per-target code (this file is compiled once per SIMD target) -------------------------------
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/cpu/gated_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "gem/act/gem_lanes.h"
#include "gem/with_order.h"
#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "src/cpu/kernel_job.h"
#include "src/cpu/lane_loops-inl.h"
#include "src/cpu/simd_lanes-inl.h"
#include "src/cpu/storage-inl.h"

HWY_BEFORE_NAMESPACE();
namespace gem::cpu {
namespace HWY_NAMESPACE {

/// One block of a gated row: a, b (and grad_out for backward) in, out_a (and out_b) out.
/// kStream: non-temporal stores (to addresses aligned to the stored size).
template <int N, bool kSegem, bool kBackward, bool kStream = false, class D, class T>
HWY_INLINE void GatedBlock(D d, const LaneConstants<Lanes<D>>& k, const T* a, const T* b, const T* g, T* out_a,
                           T* out_b) {
  const Block<T, D> ab = LoadBlock(d, a), bb = LoadBlock(d, b);
  Block<T, D> ya, yb;
  if constexpr (kBackward) {
    const Block<T, D> gb = LoadBlock(d, g);
    for (std::size_t j = 0; j < kBlockVectors<T>; ++j) {
      const Lanes<D> x{ab.v[j]};
      const hn::Vec<D> f = (kSegem ? segem_lanes<N>(x, k) : egem_lanes<N>(x, k)).v;
      const hn::Vec<D> df = (kSegem ? segem_grad_lanes<N>(x, k) : egem_grad_lanes<N>(x, k)).v;
      ya.v[j] = hn::Mul(hn::Mul(gb.v[j], bb.v[j]), df);
      yb.v[j] = hn::Mul(gb.v[j], f);
    }
    StoreBlock<kStream>(d, yb, out_b);
  } else {
    for (std::size_t j = 0; j < kBlockVectors<T>; ++j) {
      const Lanes<D> x{ab.v[j]};
      ya.v[j] = hn::Mul((kSegem ? segem_lanes<N>(x, k) : egem_lanes<N>(x, k)).v, bb.v[j]);
    }
  }
  StoreBlock<kStream>(d, ya, out_a);
}

/// Fewer than one block at the end of a row: the same code on zero-padded copies.
template <int N, bool kSegem, bool kBackward, class D, class T>
HWY_INLINE void GatedPartialBlock(D d, const LaneConstants<Lanes<D>>& k, const T* a, const T* b, const T* g, T* out_a,
                                  T* out_b, std::size_t count) {
  constexpr std::size_t kMaxLanes = HWY_LANES(hn::TFromD<D>) * kBlockVectors<T>;
  HWY_ALIGN T ab[kMaxLanes] = {}, bb[kMaxLanes] = {}, gb[kMaxLanes] = {};
  HWY_ALIGN T ya[kMaxLanes], yb[kMaxLanes];
  std::memcpy(ab, a, count * sizeof(T));
  std::memcpy(bb, b, count * sizeof(T));
  if constexpr (kBackward) std::memcpy(gb, g, count * sizeof(T));
  GatedBlock<N, kSegem, kBackward>(d, k, ab, bb, gb, ya, yb);
  std::memcpy(out_a, ya, count * sizeof(T));
  if constexpr (kBackward) std::memcpy(out_b, yb, count * sizeof(T));
}

template <int N, bool kSegem, bool kBackward, bool kStream, class T>
HWY_NOINLINE HWY_FLATTEN void GatedRows(const GatedJob<T>& job, std::size_t begin, std::size_t end) {
  using D = MathTag<T>;
  const D d;
  const std::size_t step = BlockLanes<T>(d), C = job.channels;
  const LaneConstants<Lanes<D>> k = lane_constants<Lanes<D>>(job.c, Splat<D>());
  for (std::size_t r = begin; r < end; ++r) {
    const T* a = job.x + r * 2 * C;
    const T* b = a + C;
    const T* g = kBackward ? job.grad_out + r * C : nullptr;
    T* out_a = job.out + r * (kBackward ? 2 * C : C);
    T* out_b = kBackward ? out_a + C : nullptr;
    std::size_t i = 0;
    for (; i + step <= C; i += step) {
      PrefetchAhead<Op::backward>(a + i, b + i);  // both pointers (Op::backward prefetches two)
      if constexpr (kBackward) PrefetchAhead<Op::forward>(g + i, g + i);
      GatedBlock<N, kSegem, kBackward, kStream>(d, k, a + i, b + i, kBackward ? g + i : g, out_a + i,
                                                kBackward ? out_b + i : out_b);
    }
    if (i < C)
      GatedPartialBlock<N, kSegem, kBackward>(d, k, a + i, b + i, kBackward ? g + i : g, out_a + i,
                                              kBackward ? out_b + i : out_b, C - i);
  }
  if constexpr (kStream) hwy::FlushStream();  // non-temporal stores are weakly ordered: fence
}

template <bool kSegem, bool kBackward, bool kStream, class T>
GatedRowsFn<T> PickGatedOrder(int n) {
  return with_order(n, [](auto order) -> GatedRowsFn<T> {
    return &GatedRows<decltype(order)::value, kSegem, kBackward, kStream, T>;
  });
}

template <bool kSegem, bool kBackward, class T>
GatedRowsFn<T> PickGatedStream(const GatedJob<T>& job) {
  if constexpr (kCanStream<T>) {
    // Every output row must start on a block boundary: the base aligned, rows whole blocks.
    const std::size_t block_bytes = BlockLanes<T>(MathTag<T>()) * sizeof(T);
    if (job.stream && reinterpret_cast<std::uintptr_t>(job.out) % block_bytes == 0 &&
        job.channels * sizeof(T) % block_bytes == 0)
      return PickGatedOrder<kSegem, kBackward, true, T>(job.c.n);
  }
  return PickGatedOrder<kSegem, kBackward, false, T>(job.c.n);
}

template <class T>
GatedRowsFn<T> PickGated(const GatedJob<T>& job, Variant v) {
  const bool segem = v == Variant::segem;
  if (job.backward) return segem ? PickGatedStream<true, true>(job) : PickGatedStream<false, true>(job);
  return segem ? PickGatedStream<true, false>(job) : PickGatedStream<false, false>(job);
}

GatedRowsFn<double> PickGatedF64(const GatedJob<double>& job, Variant v) { return PickGated(job, v); }
GatedRowsFn<float> PickGatedF32(const GatedJob<float>& job, Variant v) { return PickGated(job, v); }
GatedRowsFn<half> PickGatedF16(const GatedJob<half>& job, Variant v) { return PickGated(job, v); }
GatedRowsFn<bfloat16> PickGatedBF16(const GatedJob<bfloat16>& job, Variant v) { return PickGated(job, v); }

}  // namespace HWY_NAMESPACE
}  // namespace gem::cpu
HWY_AFTER_NAMESPACE();

// ---- Dispatch, the binary64 path, threads and the entry points (compiled once) ------------------
#if HWY_ONCE

#include <type_traits>

#include "gem/act/gem.h"
#include "gem/cpu/kernels.h"
#include "gem/round_once.h"
#include "src/cpu/threads.h"
#include "src/cpu/tuning.h"

namespace gem::cpu {

HWY_EXPORT(PickGatedF64);
HWY_EXPORT(PickGatedF32);
HWY_EXPORT(PickGatedF16);
HWY_EXPORT(PickGatedBF16);

namespace {

template <class T>
GatedRowsFn<T> pick(const GatedJob<T>& job, Variant v) {
  if constexpr (std::is_same_v<T, double>)
    return HWY_DYNAMIC_DISPATCH(PickGatedF64)(job, v);
  else if constexpr (std::is_same_v<T, float>)
    return HWY_DYNAMIC_DISPATCH(PickGatedF32)(job, v);
  else if constexpr (std::is_same_v<T, half>)
    return HWY_DYNAMIC_DISPATCH(PickGatedF16)(job, v);
  else
    return HWY_DYNAMIC_DISPATCH(PickGatedBF16)(job, v);
}

/// Rows [begin, end) by the reference algorithm in binary64, rounded once (spec 3.2: eps outside
/// binary32's normal range), with the products in the lane loops' order.
template <class T>
void binary64_rows(const Params& p, const GatedJob<T>& job, std::size_t begin, std::size_t end) {
  const GemConstants<double> c = make_constants<double>(p);
  const std::size_t C = job.channels;
  for (std::size_t r = begin; r < end; ++r) {
    const T* a = job.x + r * 2 * C;
    const T* b = a + C;
    for (std::size_t i = 0; i < C; ++i) {
      const Derivs<double> d = gem_derivs(p.variant, static_cast<double>(widen(a[i])), c);
      const double bi = static_cast<double>(widen(b[i]));
      if (job.backward) {
        const double g = static_cast<double>(widen(job.grad_out[r * C + i]));
        job.out[r * 2 * C + i] = round_once<T>((g * bi) * d.df);
        job.out[r * 2 * C + C + i] = round_once<T>(g * d.f);
      } else {
        job.out[r * C + i] = round_once<T>(d.f * bi);
      }
    }
  }
}

template <class T>
void run_gated(const Params& p, bool backward, const T* grad_out, const T* x, T* out, std::size_t rows,
               std::size_t channels, int threads) {
  validate(p);
  const int team = resolve_threads(threads);
  if (rows == 0 || channels == 0) return;
  const std::size_t out_bytes = rows * channels * (backward ? 2 : 1) * sizeof(T);
  GatedJob<T> job{backward, x, grad_out, out, channels, out_bytes >= tuning::kStreamMinBytes, {}};
  GatedRowsFn<T> loop = nullptr;
  if (!needs_binary64<T>(p.eps)) {
    job.c = make_constants<opmath_t<T>>(p);
    loop = pick(job, p.variant);
  }
  parallel_rows(rows, 2 * channels, team, [&](std::size_t b, std::size_t e) {
    if (loop)
      loop(job, b, e);
    else
      binary64_rows(p, job, b, e);
  });
}

}  // namespace

template <class T>
void gated_forward(const Params& p, const T* x, T* y, std::size_t rows, std::size_t channels, int threads) {
  run_gated<T>(p, false, nullptr, x, y, rows, channels, threads);
}

template <class T>
void gated_backward(const Params& p, const T* grad_out, const T* x, T* grad_x, std::size_t rows, std::size_t channels,
                    int threads) {
  run_gated<T>(p, true, grad_out, x, grad_x, rows, channels, threads);
}

#define GEM_CPU_GATED_INSTANTIATE(T)                                                          \
  template void gated_forward<T>(const Params&, const T*, T*, std::size_t, std::size_t, int); \
  template void gated_backward<T>(const Params&, const T*, const T*, T*, std::size_t, std::size_t, int);
GEM_CPU_GATED_INSTANTIATE(double)
GEM_CPU_GATED_INSTANTIATE(float)
GEM_CPU_GATED_INSTANTIATE(half)
GEM_CPU_GATED_INSTANTIATE(bfloat16)
#undef GEM_CPU_GATED_INSTANTIATE

}  // namespace gem::cpu

#endif  // HWY_ONCE
