// What one kernel call asks of a per-target body: the arrays, the operation and the constants
// already computed for (N, eps). Plain C++, shared by gem_kernels.cc's dispatch side, its
// per-target code (compiled once per SIMD target) and the per-channel kernels.
#pragma once

#include <cstddef>

#include "gem/act/gem_constants.h"
#include "gem/act/gem_eps_lanes.h"
#include "gem/numeric.h"
#include "gem/params.h"

namespace gem::cpu {

/// forward: out = f(x); backward: out = grad_out f'(x); eps_partial: out = df/deps(x);
/// eps_grads: out = grad_out f'(x), and the sum of grad_out df/deps is returned.
enum class Op { forward, backward, eps_partial, eps_grads };

/// What every job names: the operation, the variant and the arrays.
template <class T>
struct JobArrays {
  Op op;
  Variant variant;
  const T* x;
  const T* grad_out;  // backward and eps_grads only
  T* out;
};

template <class T>
struct KernelJob : JobArrays<T> {
  GemConstants<opmath_t<T>> c;
  EpsScale<opmath_t<T>> scale;          // eps_partial and eps_grads only
  EpsGradConstants<opmath_t<T>> eps_c;  // the scalar algorithm, for lanes the lane form flags
  bool stream;  // non-temporal stores for the aligned body (large arrays, see gem_kernels.cc)
};

/// One contiguous piece [begin, end) of a job; what a thread runs. Returns the piece's sum of
/// grad_out df/deps for eps_grads (accumulated in a fixed order), 0 otherwise.
template <class T>
using RangeFn = double (*)(const KernelJob<T>& job, std::size_t begin, std::size_t end);

/// A job with its loop picked, ready for any range of its arrays: the one-eps kernels run one,
/// the per-channel kernels (channel_kernels.cc) one per channel. `range` is null where (N, eps)
/// needs the binary64 reference (spec 3.2: eps outside binary32's normal range).
template <class T>
struct Kernel {
  KernelJob<T> job;
  RangeFn<T> range;
  Params p;
};

/// Validates p and picks the loop for this machine (gem_kernels.cc).
template <class T>
Kernel<T> make_kernel(Op op, const Params& p, const T* grad_out, const T* x, T* out, bool stream);

/// Runs [begin, end) of k's arrays; the sum for eps_grads, else 0.
template <class T>
double run_range(const Kernel<T>& k, std::size_t begin, std::size_t end);

/// The constants of one channel of a row job, as a KernelJob holds them for one eps.
template <class M>
struct ChannelConstants {
  GemConstants<M> c;
  EpsScale<M> scale;
  EpsGradConstants<M> eps_c;
};

/// Rows of `channels` elements, element (row, c) computed with channel c's eps: one eps per
/// channel along the last dimension (inner = 1, a transformer's features). row_kernels.cc.
template <class T>
struct RowJob : JobArrays<T> {
  std::size_t channels;
  const ChannelConstants<opmath_t<T>>* k;  // `channels` of them
};

/// Rows summed together before their per-channel sums are kept: the pieces of eps_grads' sums,
/// fixed by the shape alone (so the same bits for any thread count).
constexpr std::size_t kRowsPerSlab = 256;

/// Rows [begin, end) of a row job, begin a multiple of kRowsPerSlab. For eps_grads, slab_sums
/// receives `channels` sums per slab from begin's slab on.
template <class T>
using RowsFn = void (*)(const RowJob<T>& job, std::size_t begin, std::size_t end, double* slab_sums);

/// A gated (GLU) job: rows of [a | b] (2 * channels elements of x each), out = f(a) * b
/// (forward: rows x channels) or both gradients [grad_out b f'(a) | grad_out f(a)] (backward:
/// rows x 2 channels). gated_kernels.cc.
template <class T>
struct GatedJob {
  bool backward;
  const T* x;
  const T* grad_out;  // backward only
  T* out;
  std::size_t channels;
  bool stream;  // non-temporal stores where the output rows allow them (large outputs)
  GemConstants<opmath_t<T>> c;
};

/// Rows [begin, end) of a gated job.
template <class T>
using GatedRowsFn = void (*)(const GatedJob<T>& job, std::size_t begin, std::size_t end);

}  // namespace gem::cpu
