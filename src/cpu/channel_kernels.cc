// The kernels with one eps per channel (kernels.h: ChannelEps), on top of the one-eps kernels of
// gem_kernels.cc. Element i belongs to channel (i / inner) % channels, so the array is a
// sequence of runs of `inner` elements, the channels taking turns. Long runs (convolutions:
// inner = H W) are computed in place, each with its channel's parameters; short ones (a
// transformer's features: inner = 1) are gathered per channel into a contiguous buffer first,
// computed, and scattered back. Either way every element gets the arithmetic of the one-eps
// kernels, and the per-channel sums of eps_grads are added in a fixed order: the same bits for
// any thread count.
#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include "src/cpu/kernels.h"

namespace gem::cpu {
namespace {

/// Runs at least this long are computed in place; shorter ones are gathered per channel. Below
/// it a run is a few vectors, and the per-run call (constants, dispatch) would cost more than
/// moving the data once.
constexpr std::size_t kMinRun = 64;

void check(const ChannelEps& a, std::size_t n) {
  if (a.channels == 0 || a.inner == 0 || a.eps == nullptr)
    throw std::invalid_argument("gem::cpu: a ChannelEps needs channels > 0, inner > 0 and eps values");
  if (n % (a.channels * a.inner) != 0 && a.channels > 1)
    throw std::invalid_argument("gem::cpu: " + std::to_string(n) + " elements are not whole groups of " +
                                std::to_string(a.channels) + " channels x " + std::to_string(a.inner));
}

/// Every channel's parameters, validated before any thread starts (an exception must not leave
/// an OpenMP region).
std::vector<Params> channel_params(const ChannelEps& a) {
  std::vector<Params> params;
  for (std::size_t c = 0; c < a.channels; ++c) params.push_back(make_params(a.variant, a.N, a.eps[c]));
  return params;
}

int team_of(int threads) {
  validate_threads(threads, "gem::cpu");
  return threads == 0 ? std::min(omp_get_max_threads(), kMaxThreads) : threads;
}

/// span(p, x, g, out, count, threads) -> double computes one contiguous span of one channel.
/// Returns nothing; the spans' results go to sums[c] (added in span order) when sums is given.
template <class T, class Span>
void for_each_channel(const ChannelEps& a, const T* x, const T* g, T* out, double* sums, std::size_t n, int threads,
                      const Span& span) {
  check(a, n);
  const int team = team_of(threads);
  const std::vector<Params> params = channel_params(a);
  if (n == 0) return;
  const std::size_t channels = a.channels;
  if (channels == 1) {
    const double s = span(params[0], x, g, out, n, team);
    if (sums) sums[0] += s;
    return;
  }
  if (a.inner >= kMinRun) {  // in place, run by run; each run's result kept for an ordered sum
    const std::size_t runs = n / a.inner;
    std::vector<double> result(runs, 0.0);
    const bool across_runs = runs >= static_cast<std::size_t>(team);
#pragma omp parallel for num_threads(team) schedule(static) if (across_runs && team > 1)
    for (std::ptrdiff_t r = 0; r < static_cast<std::ptrdiff_t>(runs); ++r) {
      const std::size_t at = static_cast<std::size_t>(r) * a.inner;
      result[static_cast<std::size_t>(r)] = span(params[static_cast<std::size_t>(r) % channels], x + at,
                                                 g ? g + at : nullptr, out + at, a.inner, across_runs ? 1 : team);
    }
    if (sums)
      for (std::size_t r = 0; r < runs; ++r) sums[r % channels] += result[r];
    return;
  }
  // Short runs: channel by channel through contiguous buffers.
  const std::size_t group = channels * a.inner, groups = n / group, count = groups * a.inner;
#pragma omp parallel num_threads(team) if (team > 1)
  {
    std::vector<T> xb(count), gb(g ? count : 0), ob(count);
#pragma omp for schedule(static)
    for (std::ptrdiff_t ci = 0; ci < static_cast<std::ptrdiff_t>(channels); ++ci) {
      const std::size_t c = static_cast<std::size_t>(ci);
      for (std::size_t k = 0; k < groups; ++k)
        for (std::size_t j = 0; j < a.inner; ++j) {
          const std::size_t at = k * group + c * a.inner + j;
          xb[k * a.inner + j] = x[at];
          if (g) gb[k * a.inner + j] = g[at];
        }
      const double s = span(params[c], xb.data(), g ? gb.data() : nullptr, ob.data(), count, 1);
      if (sums) sums[c] += s;
      for (std::size_t k = 0; k < groups; ++k)
        for (std::size_t j = 0; j < a.inner; ++j) out[k * group + c * a.inner + j] = ob[k * a.inner + j];
    }
  }
}

}  // namespace

template <class T>
void forward(const ChannelEps& a, const T* x, T* y, std::size_t n, int threads) {
  for_each_channel(a, x, static_cast<const T*>(nullptr), y, nullptr, n, threads,
                   [](const Params& p, const T* xs, const T*, T* ys, std::size_t count, int t) {
                     forward(p, xs, ys, count, t);
                     return 0.0;
                   });
}

template <class T>
void backward(const ChannelEps& a, const T* grad_out, const T* x, T* grad_in, std::size_t n, int threads) {
  for_each_channel(a, x, grad_out, grad_in, nullptr, n, threads,
                   [](const Params& p, const T* xs, const T* gs, T* os, std::size_t count, int t) {
                     backward(p, gs, xs, os, count, t);
                     return 0.0;
                   });
}

template <class T>
void backward_grad2(const ChannelEps& a, const T* grad, const T* x, T* out, std::size_t n, int threads) {
  for_each_channel(a, x, grad, out, nullptr, n, threads,
                   [](const Params& p, const T* xs, const T* gs, T* os, std::size_t count, int t) {
                     backward_grad2(p, gs, xs, os, count, t);
                     return 0.0;
                   });
}

template <class T>
void eps_partial(const ChannelEps& a, EpsPartialKind which, const T* x, T* out, std::size_t n, int threads) {
  for_each_channel(a, x, static_cast<const T*>(nullptr), out, nullptr, n, threads,
                   [which](const Params& p, const T* xs, const T*, T* os, std::size_t count, int t) {
                     eps_partial(p, which, xs, os, count, t);
                     return 0.0;
                   });
}

template <class T>
void eps_grads(const ChannelEps& a, const T* grad_out, const T* x, T* grad_in, double* eps_grad, std::size_t n,
               int threads) {
  std::fill(eps_grad, eps_grad + a.channels, 0.0);
  for_each_channel(a, x, grad_out, grad_in, eps_grad, n, threads,
                   [](const Params& p, const T* xs, const T* gs, T* os, std::size_t count, int t) {
                     return eps_grads(p, gs, xs, os, count, t);
                   });
}

#define GEM_CPU_CHANNEL_INSTANTIATE(T)                                                             \
  template void forward<T>(const ChannelEps&, const T*, T*, std::size_t, int);                     \
  template void backward<T>(const ChannelEps&, const T*, const T*, T*, std::size_t, int);          \
  template void backward_grad2<T>(const ChannelEps&, const T*, const T*, T*, std::size_t, int);    \
  template void eps_partial<T>(const ChannelEps&, EpsPartialKind, const T*, T*, std::size_t, int); \
  template void eps_grads<T>(const ChannelEps&, const T*, const T*, T*, double*, std::size_t, int);
GEM_CPU_CHANNEL_INSTANTIATE(double)
GEM_CPU_CHANNEL_INSTANTIATE(float)
GEM_CPU_CHANNEL_INSTANTIATE(half)
GEM_CPU_CHANNEL_INSTANTIATE(bfloat16)
#undef GEM_CPU_CHANNEL_INSTANTIATE

}  // namespace gem::cpu
