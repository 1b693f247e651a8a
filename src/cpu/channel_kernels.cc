// The kernels with one eps per channel (kernels.h: ChannelEps), on top of the one-eps loops of
// gem_kernels.cc: one Kernel per channel (kernel_job.h), made before any thread starts, so a
// run costs a call and no constants. Element i belongs to channel (i / inner) % channels, so the
// array is a sequence of runs of `inner` elements, the channels taking turns. Long runs
// (convolutions: inner = H W) are computed in place; inner = 1 (a transformer's features) has
// loops of its own with the constants on lanes (row_kernels.cc); other short runs, and inner = 1
// with an eps outside binary32's range, are gathered a tile of channels by a slab of rows at a
// time (contiguous reads) into one buffer per channel, computed, and scattered back. Every
// element gets the arithmetic of the one-eps kernels, bit for bit, and the per-channel sums of
// eps_grads are taken over pieces fixed by the shape alone and added in a fixed order: the same
// bits for any thread count.
#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/cpu/kernel_job.h"
#include "gem/cpu/kernels.h"
#include "src/cpu/row_kernels.h"
#include "src/cpu/threads.h"
#include "src/cpu/tuning.h"

namespace gem::cpu {
namespace {

/// Runs at least this long are computed in place; shorter ones are gathered. Below it a run is a
/// few vectors and its head and tail (partial blocks) would cost more than moving the data.
constexpr std::size_t kMinRun = 64;
/// Channels gathered together from short runs: a tile of channels of a row is one contiguous read.
constexpr std::size_t kTile = 16;

void check(const ChannelEps& a, std::size_t n) {
  if (a.channels == 0 || a.inner == 0 || a.eps == nullptr)
    throw std::invalid_argument("gem::cpu: a ChannelEps needs channels > 0, inner > 0 and eps values");
  if (a.channels > 1 && n % (a.channels * a.inner) != 0)
    throw std::invalid_argument("gem::cpu: " + std::to_string(n) + " elements are not whole groups of " +
                                std::to_string(a.channels) + " channels x " + std::to_string(a.inner));
}

/// Buffer `which` (of three) of this thread, at least `count` elements: kept from call to call,
/// because first touching fresh pages costs more than the copies (a training step calls the
/// kernels again and again with the same sizes).
template <class T>
T* scratch(int which, std::size_t count) {
  thread_local std::vector<T> buffers[3];
  std::vector<T>& b = buffers[which];
  if (b.size() < count) b.resize(count);
  return b.data();
}

/// Every channel's parameters, validated before any thread starts (an exception must not leave
/// an OpenMP region).
std::vector<Params> channel_params(const ChannelEps& a) {
  std::vector<Params> params;
  params.reserve(a.channels);
  for (std::size_t c = 0; c < a.channels; ++c) params.push_back(make_params(a.variant, a.N, a.eps[c]));
  return params;
}

/// Channels [c0, c0 + width) of groups [k0, k1) of `from` into one buffer of `len` elements per
/// channel (a transpose for inner = 1, the common case, written out so the compiler sees it).
template <class T>
void gather(const T* from, T* to, std::size_t k0, std::size_t k1, std::size_t c0, std::size_t width, std::size_t group,
            std::size_t inner, std::size_t len) {
  if (inner == 1) {
    for (std::size_t k = k0; k < k1; ++k) {
      const T* row = from + k * group + c0;
      for (std::size_t c = 0; c < width; ++c) to[c * len + (k - k0)] = row[c];
    }
    return;
  }
  for (std::size_t k = k0; k < k1; ++k)
    for (std::size_t c = 0; c < width; ++c)
      std::copy_n(from + k * group + (c0 + c) * inner, inner, to + c * len + (k - k0) * inner);
}

/// The inverse of gather.
template <class T>
void scatter(const T* from, T* to, std::size_t k0, std::size_t k1, std::size_t c0, std::size_t width, std::size_t group,
             std::size_t inner, std::size_t len) {
  if (inner == 1) {
    for (std::size_t k = k0; k < k1; ++k) {
      T* row = to + k * group + c0;
      for (std::size_t c = 0; c < width; ++c) row[c] = from[c * len + (k - k0)];
    }
    return;
  }
  for (std::size_t k = k0; k < k1; ++k)
    for (std::size_t c = 0; c < width; ++c)
      std::copy_n(from + c * len + (k - k0) * inner, inner, to + k * group + (c0 + c) * inner);
}

/// span(c, g, x, out, begin, end) computes [begin, end) of arrays of channel c's elements and
/// returns their sum (eps_grads) or 0. Adds each channel's sum to sums[c] when sums is given.
template <class T, class Span>
void for_each_channel(const ChannelEps& a, const T* g, const T* x, T* out, double* sums, std::size_t n, int threads,
                      const Span& span) {
  const int team = resolve_threads(threads);
  const std::size_t channels = a.channels;
  const std::size_t inner = channels == 1 ? n : a.inner;  // one channel: one run, as the one-eps kernels
  if (n == 0) return;
  if (inner >= kMinRun) {
    // In place: each run in pieces of at most kChunk, every piece's result kept for an ordered sum.
    const std::size_t runs = n / inner, pieces = (inner + tuning::kChunk - 1) / tuning::kChunk;
    std::vector<double> result(runs * pieces, 0.0);
#pragma omp parallel for num_threads(team) schedule(static) if (team > 1 && n >= tuning::kParallelMin)
    for (std::ptrdiff_t item = 0; item < static_cast<std::ptrdiff_t>(runs * pieces); ++item) {
      const std::size_t r = static_cast<std::size_t>(item) / pieces, piece = static_cast<std::size_t>(item) % pieces;
      const std::size_t begin = r * inner + piece * tuning::kChunk;
      const std::size_t end = std::min(begin + tuning::kChunk, (r + 1) * inner);
      result[static_cast<std::size_t>(item)] = span(r % channels, g, x, out, begin, end);
    }
    if (sums)
      for (std::size_t item = 0; item < runs * pieces; ++item) sums[(item / pieces) % channels] += result[item];
    return;
  }
  // Short runs: a tile of channels by a slab of groups at a time, through one contiguous buffer
  // per channel; a slab holds at most kChunk of each channel's elements, and is its piece.
  const std::size_t group = channels * inner, groups = n / group;
  const std::size_t rows = std::max<std::size_t>(1, tuning::kChunk / inner);  // groups per slab
  const std::size_t slabs = (groups + rows - 1) / rows, tiles = (channels + kTile - 1) / kTile;
  std::vector<double> result(sums ? slabs * channels : 0, 0.0);
#pragma omp parallel num_threads(team) if (team > 1 && n >= tuning::kParallelMin)
  {
    const std::size_t room = std::min(kTile, channels) * std::min(rows, groups) * inner;
    T* const xb = scratch<T>(0, room);
    T* const gb = g ? scratch<T>(1, room) : nullptr;
    T* const ob = scratch<T>(2, room);
#pragma omp for schedule(static)
    for (std::ptrdiff_t item = 0; item < static_cast<std::ptrdiff_t>(tiles * slabs); ++item) {
      const std::size_t tile = static_cast<std::size_t>(item) / slabs, slab = static_cast<std::size_t>(item) % slabs;
      const std::size_t c0 = tile * kTile, width = std::min(kTile, channels - c0);
      const std::size_t k0 = slab * rows, k1 = std::min(groups, k0 + rows), len = (k1 - k0) * inner;
      gather(x, xb, k0, k1, c0, width, group, inner, len);
      if (gb) gather(g, gb, k0, k1, c0, width, group, inner, len);
      for (std::size_t c = 0; c < width; ++c) {
        const double s = span(c0 + c, gb ? gb + c * len : nullptr, xb + c * len, ob + c * len, std::size_t(0), len);
        if (sums) result[slab * channels + c0 + c] = s;
      }
      scatter(ob, out, k0, k1, c0, width, group, inner, len);
    }
  }
  if (sums)
    for (std::size_t slab = 0; slab < slabs; ++slab)
      for (std::size_t c = 0; c < channels; ++c) sums[c] += result[slab * channels + c];
}

/// The hot operations: the one-eps loops with each channel's Kernel.
template <class T>
void run_channels(Op op, const ChannelEps& a, const T* g, const T* x, T* out, double* sums, std::size_t n,
                  int threads) {
  check(a, n);
  std::vector<Kernel<T>> kernels;
  kernels.reserve(a.channels);
  for (const Params& p : channel_params(a)) kernels.push_back(make_kernel<T>(op, p, g, x, out, /*stream=*/false));
  const int team = resolve_threads(threads);  // validated before anything runs
  if (a.channels > 1 && a.inner == 1 && n > 0 && run_rows(kernels, op, g, x, out, sums, n / a.channels, team)) return;
  for_each_channel(a, g, x, out, sums, n, threads,
                   [&](std::size_t c, const T* gs, const T* xs, T* os, std::size_t b, std::size_t e) {
                     Kernel<T> k = kernels[c];
                     k.job.grad_out = gs;
                     k.job.x = xs;
                     k.job.out = os;
                     return run_range(k, b, e);
                   });
}

/// The second-order operations (not hot): the scalar reference per span.
template <class T, class Ref>
void reference_channels(const ChannelEps& a, const T* g, const T* x, T* out, std::size_t n, int threads,
                        const Ref& ref) {
  check(a, n);
  const std::vector<Params> params = channel_params(a);
  resolve_threads(threads);
  for_each_channel(a, g, x, out, nullptr, n, threads,
                   [&](std::size_t c, const T* gs, const T* xs, T* os, std::size_t b, std::size_t e) {
                     ref(params[c], gs ? gs + b : nullptr, xs + b, os + b, e - b);
                     return 0.0;
                   });
}

}  // namespace

template <class T>
void forward(const ChannelEps& a, const T* x, T* y, std::size_t n, int threads) {
  run_channels<T>(Op::forward, a, nullptr, x, y, nullptr, n, threads);
}

template <class T>
void backward(const ChannelEps& a, const T* grad_out, const T* x, T* grad_in, std::size_t n, int threads) {
  run_channels<T>(Op::backward, a, grad_out, x, grad_in, nullptr, n, threads);
}

template <class T>
void backward_grad2(const ChannelEps& a, const T* grad, const T* x, T* out, std::size_t n, int threads) {
  reference_channels<T>(a, grad, x, out, n, threads,
                        [](const Params& p, const T* gs, const T* xs, T* os, std::size_t count) {
                          reference::backward_grad2(p, gs, xs, os, count);
                        });
}

template <class T>
void eps_partial(const ChannelEps& a, Quantity which, const T* x, T* out, std::size_t n, int threads) {
  require_eps_partial(which, "gem::cpu::eps_partial");
  if (which == Quantity::df_deps) {
    run_channels<T>(Op::eps_partial, a, nullptr, x, out, nullptr, n, threads);
    return;
  }
  reference_channels<T>(a, nullptr, x, out, n, threads,
                        [which](const Params& p, const T*, const T* xs, T* os, std::size_t count) {
                          reference::eps_partial(p, which, xs, os, count);
                        });
}

template <class T>
void eps_grads(const ChannelEps& a, const T* grad_out, const T* x, T* grad_in, double* eps_grad, std::size_t n,
               int threads) {
  check(a, n);
  std::fill(eps_grad, eps_grad + a.channels, 0.0);
  run_channels<T>(Op::eps_grads, a, grad_out, x, grad_in, eps_grad, n, threads);
}

#define GEM_CPU_CHANNEL_INSTANTIATE(T)                                                          \
  template void forward<T>(const ChannelEps&, const T*, T*, std::size_t, int);                  \
  template void backward<T>(const ChannelEps&, const T*, const T*, T*, std::size_t, int);       \
  template void backward_grad2<T>(const ChannelEps&, const T*, const T*, T*, std::size_t, int); \
  template void eps_partial<T>(const ChannelEps&, Quantity, const T*, T*, std::size_t, int);    \
  template void eps_grads<T>(const ChannelEps&, const T*, const T*, T*, double*, std::size_t, int);
GEM_CPU_CHANNEL_INSTANTIATE(double)
GEM_CPU_CHANNEL_INSTANTIATE(float)
GEM_CPU_CHANNEL_INSTANTIATE(half)
GEM_CPU_CHANNEL_INSTANTIATE(bfloat16)
#undef GEM_CPU_CHANNEL_INSTANTIATE

}  // namespace gem::cpu
