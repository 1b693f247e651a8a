// The CPU kernels: per-target loops over the lane forms of include/gem/act/gem_lanes.h
// (Highway dynamic dispatch, following hwy/examples/skeleton.cc), one dispatch table, and
// OpenMP over fixed chunks. See README.md for the rules of this folder.
//
//   forward:     y = f(x)                 E-GEM / GEM: egem_lanes;  SE-GEM: segem_lanes
//   backward:    grad_in = grad_out f'(x)  egem_grad_lanes / segem_grad_lanes
//   eps_partial: out = df/deps(x)          egem_eps_grad_lanes / segem_eps_grad_lanes (gem_eps_lanes.h)
//   eps_grads:   grad_in = grad_out f'(x), and sum(grad_out df/deps) returned: one pass for both
//                gradients of a learnable eps
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

#include "gem/act/gem_eps_lanes.h"
#include "gem/act/gem_lanes.h"
#include "gem/with_order.h"
#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "src/cpu/kernel_job.h"
#include "src/cpu/lane_loops-inl.h"
#include "src/cpu/simd_lanes-inl.h"
#include "src/cpu/storage-inl.h"
#include "src/cpu/tuning.h"

HWY_BEFORE_NAMESPACE();
namespace gem::cpu {
namespace HWY_NAMESPACE {

/// job.out[i] for i in [begin, end). kStream: the body is stored with non-temporal stores
/// (after a head that aligns the output), for arrays far larger than the caches. eps_grads
/// returns the sum of grad_out df/deps over the range, in the same order whatever the threads.
template <int N, bool kSegem, Op kOp, bool kStream, class T>
HWY_NOINLINE HWY_FLATTEN double RunRange(const KernelJob<T>& job, std::size_t begin, std::size_t end) {
  using D = MathTag<T>;
  const D d;
  const std::size_t step = BlockLanes<T>(d);
  const JobLanes<D> c{lane_constants<Lanes<D>>(job.c, Splat<D>()), eps_lane_scale<Lanes<D>>(job.scale, Splat<D>()),
                      &job.eps_c, 0};
  const T* x = job.x;
  const T* g = (kOp == Op::backward || kOp == Op::eps_grads) ? job.grad_out : x;  // read only by those two
  T* y = job.out;
  hn::Vec<D> acc = hn::Zero(d);
  double sum = 0;
  std::size_t pending = 0;  // blocks in acc

  std::size_t i = begin;
  if constexpr (kStream) {
    const std::size_t block_bytes = step * sizeof(T);
    const std::size_t misalign = reinterpret_cast<std::uintptr_t>(y + i) % block_bytes;
    const std::size_t head = misalign == 0 ? 0 : (block_bytes - misalign) / sizeof(T);
    if (head != 0 && head < end - i && misalign % sizeof(T) == 0) {
      PartialBlock<N, kSegem, kOp>(d, x + i, g + i, y + i, head, c, &acc);
      i += head;
    }
    if (reinterpret_cast<std::uintptr_t>(y + i) % block_bytes == 0) {
      for (; i + step <= end; i += step) {
        PrefetchAhead<kOp>(x + i, g + i);
        StoreBlock<true>(d, ComputeBlock<N, kSegem, kOp>(d, x + i, g + i, c, &acc), y + i);
      }
      hwy::FlushStream();  // non-temporal stores are weakly ordered: fence before returning
    }
  }
  for (; i + step <= end; i += step) {
    PrefetchAhead<kOp>(x + i, g + i);
    StoreBlock<false>(d, ComputeBlock<N, kSegem, kOp>(d, x + i, g + i, c, &acc), y + i);
    if constexpr (kOp == Op::eps_grads) {
      if (++pending == kSumBlocks) {
        sum += static_cast<double>(hn::GetLane(hn::SumOfLanes(d, acc)));
        acc = hn::Zero(d);
        pending = 0;
      }
    }
  }
  if (i < end) PartialBlock<N, kSegem, kOp>(d, x + i, g + i, y + i, end - i, c, &acc);
  if constexpr (kOp == Op::eps_grads) sum += static_cast<double>(hn::GetLane(hn::SumOfLanes(d, acc)));
  return sum;
}

template <bool kSegem, Op kOp, bool kStream, class T>
RangeFn<T> PickOrder(int n) {
  return with_order(
      n, [](auto order) -> RangeFn<T> { return &RunRange<decltype(order)::value, kSegem, kOp, kStream, T>; });
}

template <bool kSegem, Op kOp, class T>
RangeFn<T> PickStream(const KernelJob<T>& job) {
  if constexpr (kCanStream<T>) {
    if (job.stream) return PickOrder<kSegem, kOp, true, T>(job.c.n);
  }
  return PickOrder<kSegem, kOp, false, T>(job.c.n);
}

template <Op kOp, class T>
RangeFn<T> PickVariant(const KernelJob<T>& job) {
  if constexpr (kOp == Op::eps_grads) {  // never streamed: the sum is taken block by block
    return job.variant == Variant::segem ? PickOrder<true, kOp, false, T>(job.c.n)
                                         : PickOrder<false, kOp, false, T>(job.c.n);
  } else {
    return job.variant == Variant::segem ? PickStream<true, kOp>(job) : PickStream<false, kOp>(job);
  }
}

/// The loop for this target and this job's (variant, N, op).
template <class T>
RangeFn<T> Pick(const KernelJob<T>& job) {
  switch (job.op) {
    case Op::forward:
      return PickVariant<Op::forward>(job);
    case Op::backward:
      return PickVariant<Op::backward>(job);
    case Op::eps_partial:
      return PickVariant<Op::eps_partial>(job);
    case Op::eps_grads:
      return PickVariant<Op::eps_grads>(job);
  }
  return nullptr;  // unreachable
}

// ---- The 16-bit conversions alone (convert.h): same loads/stores, same tail handling ----------

// Blocks may hold their elements out of order (paired bfloat16: even ones in v[0], odd ones in
// v[1]); these array functions put them back in order through small buffers (BlockSlot).
// They serve the tests of the conversions only.

/// body(i, count) for each block of BlockLanes<T> float lanes in [0, n); the last may be short.
template <class T, class Body>
void ForEachBlock(std::size_t n, const Body& body) {
  const std::size_t step = BlockLanes<T>(hn::ScalableTag<float>());
  for (std::size_t i = 0; i < n; i += step) body(i, std::min(step, n - i));
}

template <class T>
void WidenArray(const T* in, float* out, std::size_t n) {
  using D = hn::ScalableTag<float>;
  const D d;
  ForEachBlock<T>(n, [&](std::size_t i, std::size_t count) HWY_ATTR {
    HWY_ALIGN T ib[HWY_LANES(float) * kBlockVectors<T>] = {};
    HWY_ALIGN float ob[kBlockVectors<T>][HWY_LANES(float)];
    std::memcpy(ib, in + i, count * sizeof(T));
    const Block<T, D> b = LoadBlock(d, ib);
    for (std::size_t j = 0; j < kBlockVectors<T>; ++j) hn::Store(b.v[j], d, ob[j]);
    for (std::size_t e = 0; e < count; ++e) {
      const auto [j, lane] = BlockSlot<T>(hn::Lanes(d), e);
      out[i + e] = ob[j][lane];
    }
  });
}

template <class T>
void NarrowArray(const float* in, T* out, std::size_t n) {
  using D = hn::ScalableTag<float>;
  const D d;
  ForEachBlock<T>(n, [&](std::size_t i, std::size_t count) HWY_ATTR {
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
  });
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
#include <vector>

#include "src/cpu/convert.h"
#include "gem/cpu/kernels.h"
#include "src/cpu/threads.h"

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

/// The sum of body(begin, end) over fixed chunks of [0, n), added in chunk order: the same bits
/// for any number of threads (and serially, the same chunks).
template <class Body>
double chunked_sum(std::size_t n, int threads, const Body& body) {
  const std::size_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(chunks, 0.0);
  const int team = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads), chunks));
#pragma omp parallel for num_threads(team) schedule(static) if (n >= kParallelMin && team > 1)
  for (std::ptrdiff_t c = 0; c < static_cast<std::ptrdiff_t>(chunks); ++c) {
    const std::size_t begin = static_cast<std::size_t>(c) * kChunk;
    partial[static_cast<std::size_t>(c)] = body(begin, std::min(n, begin + kChunk));
  }
  double sum = 0;
  for (const double s : partial) sum += s;
  return sum;
}

template <class T>
RangeFn<T> pick(const KernelJob<T>& job) {
  if constexpr (std::is_same_v<T, double>) return HWY_DYNAMIC_DISPATCH(PickF64)(job);
  else if constexpr (std::is_same_v<T, float>) return HWY_DYNAMIC_DISPATCH(PickF32)(job);
  else if constexpr (std::is_same_v<T, half>) return HWY_DYNAMIC_DISPATCH(PickF16)(job);
  else return HWY_DYNAMIC_DISPATCH(PickBF16)(job);
}

/// The scalar reference on [b, e) for op (the binary64 path of spec 3.2).
template <class T>
double reference_range(Op op, const Params& p, const T* grad_out, const T* x, T* out, std::size_t b, std::size_t e) {
  switch (op) {
    case Op::forward:
      reference::forward(p, x + b, out + b, e - b);
      return 0;
    case Op::backward:
      reference::backward(p, grad_out + b, x + b, out + b, e - b);
      return 0;
    case Op::eps_partial:
      reference::eps_partial(p, Quantity::df_deps, x + b, out + b, e - b);
      return 0;
    case Op::eps_grads:
      return reference::eps_grads(p, grad_out + b, x + b, out + b, e - b);
  }
  return 0;
}

/// Runs op over [0, n); returns the sum of eps_grads (0 for the others).
template <class T>
double run(Op op, const Params& p, const T* grad_out, const T* x, T* out, std::size_t n, int threads) {
  const Kernel<T> k = make_kernel(op, p, grad_out, x, out, op != Op::eps_grads && n * sizeof(T) >= kStreamMinBytes);
  const int team = resolve_threads(threads);
  if (n == 0) return 0;
  const auto range = [&](std::size_t b, std::size_t e) { return run_range(k, b, e); };
  if (op == Op::eps_grads) return chunked_sum(n, team, range);
  parallel_ranges(n, team, range);
  return 0;
}

}  // namespace

template <class T>
Kernel<T> make_kernel(Op op, const Params& p, const T* grad_out, const T* x, T* out, bool stream) {
  validate(p);
  using M = opmath_t<T>;
  Kernel<T> k{{{op, p.variant, x, grad_out, out}, {}, {}, {}, stream}, nullptr, p};
  if (needs_binary64<T>(p.eps)) return k;  // spec 3.2: binary32 constants would lose precision
  k.job.c = make_constants<M>(p);
  k.job.scale = make_eps_scale<M>(p.N, p.eps);
  k.job.eps_c = make_eps_grad_constants<M>(p.N, p.eps);
  k.range = pick(k.job);
  return k;
}

template <class T>
double run_range(const Kernel<T>& k, std::size_t begin, std::size_t end) {
  if (k.range) return k.range(k.job, begin, end);
  return reference_range(k.job.op, k.p, k.job.grad_out, k.job.x, k.job.out, begin, end);
}

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

template <class T>
void eps_partial(const Params& p, Quantity which, const T* x, T* out, std::size_t n, int threads) {
  require_eps_partial(which, "gem::cpu::eps_partial");
  if (which == Quantity::df_deps) {
    run<T>(Op::eps_partial, p, nullptr, x, out, n, threads);
    return;
  }
  // The second derivatives in eps serve second-order autograd only: the scalar algorithm.
  validate(p);
  const int team = resolve_threads(threads);
  if (n == 0) return;
  parallel_ranges(n, team,
                  [&](std::size_t b, std::size_t e) { reference::eps_partial(p, which, x + b, out + b, e - b); });
}

template <class T>
double eps_grads(const Params& p, const T* grad_out, const T* x, T* grad_in, std::size_t n, int threads) {
  return run<T>(Op::eps_grads, p, grad_out, x, grad_in, n, threads);
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

#define GEM_CPU_KERNELS_INSTANTIATE(T)                                                      \
  template Kernel<T> make_kernel<T>(Op, const Params&, const T*, const T*, T*, bool);       \
  template double run_range<T>(const Kernel<T>&, std::size_t, std::size_t);                 \
  template void forward<T>(const Params&, const T*, T*, std::size_t, int);                  \
  template void backward<T>(const Params&, const T*, const T*, T*, std::size_t, int);       \
  template void backward_grad2<T>(const Params&, const T*, const T*, T*, std::size_t, int); \
  template void eps_partial<T>(const Params&, Quantity, const T*, T*, std::size_t, int);    \
  template double eps_grads<T>(const Params&, const T*, const T*, T*, std::size_t, int);
GEM_CPU_KERNELS_INSTANTIATE(double)
GEM_CPU_KERNELS_INSTANTIATE(float)
GEM_CPU_KERNELS_INSTANTIATE(half)
GEM_CPU_KERNELS_INSTANTIATE(bfloat16)
#undef GEM_CPU_KERNELS_INSTANTIATE

}  // namespace gem::cpu

#endif  // HWY_ONCE
