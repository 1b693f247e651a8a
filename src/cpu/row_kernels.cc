// One eps per channel along the last dimension (inner = 1: a transformer's features, a linear
// layer's outputs): element (row, c) uses channel c's constants, so the constants vary from lane
// to lane. Each target builds, once per call, a table of every channel's lane constants laid
// out in the order of its blocks, and the loop loads them beside x instead of broadcasting
// them: the same lane forms, the same constants (the bits of the one-eps kernels for every
// element), no gather. eps_grads adds each channel's grad_out df/deps per lane over the rows of
// a slab (kernel_job.h: kRowsPerSlab), in the math type for kSumBlocks rows at a time, then in
// binary64: pieces fixed by the shape alone.

// ---- Per-target code (this file is compiled once per SIMD target) -------------------------------
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/cpu/row_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "gem/with_order.h"
#include "hwy/highway.h"
#include "src/cpu/kernel_job.h"
#include "src/cpu/lane_loops-inl.h"
#include "src/cpu/simd_lanes-inl.h"
#include "src/cpu/storage-inl.h"

HWY_BEFORE_NAMESPACE();
namespace gem::cpu {
namespace HWY_NAMESPACE {

/// The fields of LaneConstants and EpsLaneScale that differ between channels (the others depend
/// on N alone), one table row each.
enum RowField { kInvS, kE, kC2, kMp1e, kMm1e, kHi, kLo, kAMin, kAMax, kFields };

/// This thread's buffer `which`, kept from call to call (fresh pages cost more than the work).
template <class V>
V* RowScratch(int which, std::size_t count) {
  thread_local std::vector<V> buffers[4];
  if (buffers[which].size() < count) buffers[which].resize(count);
  return buffers[which].data();
}

template <int N, bool kSegem, Op kOp, class T>
HWY_NOINLINE HWY_FLATTEN void RunRows(const RowJob<T>& job, std::size_t begin, std::size_t end, double* slab_sums) {
  using D = MathTag<T>;
  using M = opmath_t<T>;
  const D d;
  const std::size_t lanes = hn::Lanes(d), step = BlockLanes<T>(d), C = job.channels;
  const std::size_t blocks = (C + step - 1) / step, padded = blocks * step;
  constexpr bool kGrad = kOp == Op::backward || kOp == Op::eps_grads;
  constexpr Op kValue = kOp == Op::eps_grads ? Op::backward : kOp;

  // Column col's constants at its place in its block (vector j, lane i: index j * lanes + i);
  // the padding past C repeats the last channel, so padded lanes compute finite values.
  M* const table = RowScratch<M>(0, kFields * padded);
  auto* const eps_c = RowScratch<EpsGradConstants<M>>(1, padded);
  const auto same = [](M w) { return w; };
  for (std::size_t col = 0; col < padded; ++col) {
    const ChannelConstants<M>& k = job.k[std::min(col, C - 1)];
    const auto [j, lane] = BlockSlot<T>(lanes, col % step);
    const std::size_t at = col / step * step + j * lanes + lane;
    const LaneConstants<M> lc = lane_constants<M>(k.c, same);
    const EpsLaneScale<M> ls = eps_lane_scale<M>(k.scale, same);
    const M fields[kFields] = {lc.inv_s, lc.e, lc.c2, lc.mp1e, lc.mm1e, ls.hi, ls.lo, ls.a_min, ls.a_max};
    for (int f = 0; f < kFields; ++f) table[f * padded + at] = fields[f];
    eps_c[at] = k.eps_c;
  }
  const LaneConstants<Lanes<D>> fixed = lane_constants<Lanes<D>>(job.k[0].c, Splat<D>());
  const auto lanes_at = [&](std::size_t at) {
    const auto load = [&](RowField f) { return Lanes<D>{hn::LoadU(d, table + f * padded + at)}; };
    return JobLanes<D>{{load(kInvS), load(kE), load(kC2), load(kMp1e), load(kMm1e), fixed.mm1, fixed.zero,
                        fixed.neg_zero, fixed.one, fixed.big},
                       {load(kHi), load(kLo), load(kAMin), load(kAMax)},
                       eps_c + at,
                       1};
  };

  M* const acc = kOp == Op::eps_grads ? RowScratch<M>(2, padded) : nullptr;
  double* const total = kOp == Op::eps_grads ? RowScratch<double>(3, padded) : nullptr;
  if constexpr (kOp == Op::eps_grads) {
    std::fill(acc, acc + padded, M(0));
    std::fill(total, total + padded, 0.0);
  }
  const auto flush = [&] {
    for (std::size_t i = 0; i < padded; ++i) total[i] += static_cast<double>(acc[i]), acc[i] = M(0);
  };

  std::size_t pending = 0;  // rows in acc
  HWY_ALIGN T xp[HWY_LANES(M) * kBlockVectors<T>], gp[HWY_LANES(M) * kBlockVectors<T>];
  for (std::size_t row = begin; row < end; ++row) {
    const T* x = job.x + row * C;
    const T* g = kGrad ? job.grad_out + row * C : x;
    T* y = job.out + row * C;
    for (std::size_t b = 0; b < blocks; ++b) {
      const std::size_t col0 = b * step, count = std::min(step, C - col0);
      const bool whole = count == step;
      if (whole) {
        PrefetchAhead<kOp>(x + col0, g + col0);
      } else {  // the row's last, partial block: a zero-padded copy, as PartialBlock
        std::memset(xp, 0, sizeof(xp));
        std::memset(gp, 0, sizeof(gp));
        std::memcpy(xp, x + col0, count * sizeof(T));
        if constexpr (kGrad) std::memcpy(gp, g + col0, count * sizeof(T));
      }
      const Block<T, D> xb = LoadBlock(d, whole ? x + col0 : xp);
      Block<T, D> yb;
      if constexpr (kGrad) {
        const Block<T, D> gb = LoadBlock(d, whole ? g + col0 : gp);
        for (std::size_t j = 0; j < kBlockVectors<T>; ++j) {
          const JobLanes<D> c = lanes_at(col0 + j * lanes);
          yb.v[j] = hn::Mul(gb.v[j], Activation<N, kSegem, kValue>(Lanes<D>{xb.v[j]}, c).v);
          if constexpr (kOp == Op::eps_grads) {
            const hn::Vec<D> fe = Activation<N, kSegem, Op::eps_partial>(Lanes<D>{xb.v[j]}, c).v;
            M* a = acc + col0 + j * lanes;
            hn::StoreU(hn::MulAdd(gb.v[j], fe, hn::LoadU(d, a)), d, a);
          }
        }
      } else {
        for (std::size_t j = 0; j < kBlockVectors<T>; ++j)
          yb.v[j] = Activation<N, kSegem, kValue>(Lanes<D>{xb.v[j]}, lanes_at(col0 + j * lanes)).v;
      }
      if (whole) {
        StoreBlock<false>(d, yb, y + col0);
      } else {
        HWY_ALIGN T yp[HWY_LANES(M) * kBlockVectors<T>];
        StoreBlock<false>(d, yb, yp);
        std::memcpy(y + col0, yp, count * sizeof(T));
      }
    }
    if constexpr (kOp == Op::eps_grads) {
      const bool slab_ends = (row + 1) % kRowsPerSlab == 0 || row + 1 == end;
      if (++pending == kSumBlocks || slab_ends) flush(), pending = 0;
      if (slab_ends) {  // the slab's sums, in channel order
        double* out = slab_sums + (row / kRowsPerSlab - begin / kRowsPerSlab) * C;
        for (std::size_t col = 0; col < C; ++col) {
          const auto [j, lane] = BlockSlot<T>(lanes, col % step);
          out[col] = total[col / step * step + j * lanes + lane];
        }
        std::fill(total, total + padded, 0.0);
      }
    }
  }
}

template <bool kSegem, Op kOp, class T>
RowsFn<T> PickRowsOrder(int n) {
  return with_order(n, [](auto order) -> RowsFn<T> { return &RunRows<decltype(order)::value, kSegem, kOp, T>; });
}

template <Op kOp, class T>
RowsFn<T> PickRowsVariant(Variant v, int n) {
  return v == Variant::segem ? PickRowsOrder<true, kOp, T>(n) : PickRowsOrder<false, kOp, T>(n);
}

template <class T>
RowsFn<T> PickRows(Op op, Variant v, int n) {
  switch (op) {
    case Op::forward:
      return PickRowsVariant<Op::forward, T>(v, n);
    case Op::backward:
      return PickRowsVariant<Op::backward, T>(v, n);
    case Op::eps_partial:
      return PickRowsVariant<Op::eps_partial, T>(v, n);
    case Op::eps_grads:
      return PickRowsVariant<Op::eps_grads, T>(v, n);
  }
  return nullptr;  // unreachable
}

RowsFn<double> PickRowsF64(Op op, Variant v, int n) { return PickRows<double>(op, v, n); }
RowsFn<float> PickRowsF32(Op op, Variant v, int n) { return PickRows<float>(op, v, n); }
RowsFn<half> PickRowsF16(Op op, Variant v, int n) { return PickRows<half>(op, v, n); }
RowsFn<bfloat16> PickRowsBF16(Op op, Variant v, int n) { return PickRows<bfloat16>(op, v, n); }

}  // namespace HWY_NAMESPACE
}  // namespace gem::cpu
HWY_AFTER_NAMESPACE();

// ---- Dispatch and threads (compiled once) -------------------------------------------------------
#if HWY_ONCE

#include <type_traits>

#include "src/cpu/row_kernels.h"
#include "src/cpu/tuning.h"

namespace gem::cpu {

HWY_EXPORT(PickRowsF64);
HWY_EXPORT(PickRowsF32);
HWY_EXPORT(PickRowsF16);
HWY_EXPORT(PickRowsBF16);

namespace {

template <class T>
RowsFn<T> pick_rows(Op op, Variant v, int n) {
  if constexpr (std::is_same_v<T, double>)
    return HWY_DYNAMIC_DISPATCH(PickRowsF64)(op, v, n);
  else if constexpr (std::is_same_v<T, float>)
    return HWY_DYNAMIC_DISPATCH(PickRowsF32)(op, v, n);
  else if constexpr (std::is_same_v<T, half>)
    return HWY_DYNAMIC_DISPATCH(PickRowsF16)(op, v, n);
  else
    return HWY_DYNAMIC_DISPATCH(PickRowsBF16)(op, v, n);
}

}  // namespace

template <class T>
bool run_rows(const std::vector<Kernel<T>>& kernels, Op op, const T* grad_out, const T* x, T* out, double* sums,
              std::size_t rows, int team) {
  using M = opmath_t<T>;
  const std::size_t C = kernels.size();
  std::vector<ChannelConstants<M>> k;
  k.reserve(C);
  for (const Kernel<T>& kc : kernels) {
    if (!kc.range) return false;  // a channel needs the binary64 reference
    k.push_back({kc.job.c, kc.job.scale, kc.job.eps_c});
  }
  const RowJob<T> job{{op, kernels[0].p.variant, x, grad_out, out}, C, k.data()};
  const RowsFn<T> fn = pick_rows<T>(op, kernels[0].p.variant, kernels[0].p.N);
  const std::size_t slabs = (rows + kRowsPerSlab - 1) / kRowsPerSlab;
  std::vector<double> slab_sums(sums ? slabs * C : 0);
  const int parts = rows * C < tuning::kParallelMin ? 1 : static_cast<int>(std::min<std::size_t>(team, slabs));
  // Each thread one contiguous range of slabs (its tables built once).
#pragma omp parallel for num_threads(parts) schedule(static) if (parts > 1)
  for (int t = 0; t < parts; ++t) {
    const std::size_t s0 = slabs * t / parts, s1 = slabs * (t + 1) / parts;
    if (s0 < s1)
      fn(job, s0 * kRowsPerSlab, std::min(rows, s1 * kRowsPerSlab), sums ? slab_sums.data() + s0 * C : nullptr);
  }
  if (sums)
    for (std::size_t s = 0; s < slabs; ++s)
      for (std::size_t c = 0; c < C; ++c) sums[c] += slab_sums[s * C + c];
  return true;
}

#define GEM_CPU_ROWS_INSTANTIATE(T) \
  template bool run_rows<T>(const std::vector<Kernel<T>>&, Op, const T*, const T*, T*, double*, std::size_t, int);
GEM_CPU_ROWS_INSTANTIATE(double)
GEM_CPU_ROWS_INSTANTIATE(float)
GEM_CPU_ROWS_INSTANTIATE(half)
GEM_CPU_ROWS_INSTANTIATE(bfloat16)
#undef GEM_CPU_ROWS_INSTANTIATE

}  // namespace gem::cpu

#endif  // HWY_ONCE
