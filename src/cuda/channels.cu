// The kernels with one eps per channel (kernels.h: channel_op): element i belongs to channel
// (i / inner) % channels, each channel's constants in a small table in device memory. The
// per-element math is the reference algorithm (gem.h) and gem_eps_grad.h at a run-time channel;
// these serve a learnable eps per channel, whose training step is memory-bound on a GPU.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "gem/act/gem.h"
#include "gem/act/gem_constants.h"
#include "gem/act/gem_eps_grad.h"
#include "src/cuda/kernels.h"
#include "src/cuda/launch.cuh"
#include "src/cuda/storage.cuh"

namespace gem::cuda {
namespace detail {

/// The constants of one channel in math type M.
template <class M>
struct ChannelConstants {
  GemConstants<M> c;
  EpsGradConstants<M> e;
};

template <class M>
__device__ __forceinline__ M channel_value(Quantity what, Variant v, M x, const ChannelConstants<M>& k) {
  switch (what) {
    case Quantity::value:
      return gem_f(v, x, k.c);
    case Quantity::grad:
      return gem_grad(v, x, k.c);
    case Quantity::grad2:
      return gem_grad2(v, x, k.c);
    default:
      return gem_eps_partial(v, what, x, k.e);
  }
}

/// out[i] = (g ? g[i] : 1) * what(x[i]) with the constants of element i's channel; the product in
/// the math type, rounded once. `what` is uniform across the grid (no divergence).
template <class T, class M>
__global__ void __launch_bounds__(kBlockThreads)
    channel_kernel(Quantity what, Variant v, const ChannelConstants<M>* table, const T* g, const T* x, T* out,
                   std::size_t n, std::size_t channels, std::size_t inner) {
  const std::size_t first = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = first; i < n; i += stride) {
    const ChannelConstants<M>& k = table[(i / inner) % channels];
    M y = channel_value(what, v, static_cast<M>(to_math(x[i])), k);
    if (g) y = static_cast<M>(to_math(g[i])) * y;
    out[i] = narrow_to<T>(y);
  }
}

/// Spec 3.2's binary64 rule (needs_binary64), here for every channel when one needs it.
template <class T>
bool channels_need_binary64(const double* eps, std::size_t channels) {
  for (std::size_t c = 0; c < channels; ++c)
    if (needs_binary64<T>(eps[c])) return true;
  return false;
}

template <class T, class M>
void run_channels(Quantity what, Variant v, int N, const double* eps, std::size_t channels, std::size_t inner,
                  const T* g, const T* x, T* out, std::size_t n, void* device_table, cudaStream_t stream) {
  std::vector<ChannelConstants<M>> table(channels);
  for (std::size_t c = 0; c < channels; ++c)
    table[c] = {make_constants<M>(make_params(v, N, eps[c])), make_eps_grad_constants<M>(N, eps[c])};
  // From pageable memory the copy has read `table` when it returns, so the vector may go.
  GEM_CUDA_CHECK(cudaMemcpyAsync(device_table, table.data(), channels * sizeof(ChannelConstants<M>),
                                 cudaMemcpyHostToDevice, stream));
  if (n == 0) return;
  const auto kernel = channel_kernel<T, M>;
  const unsigned blocks = grid_blocks(n, reinterpret_cast<const void*>(kernel));
  kernel<<<blocks, kBlockThreads, 0, stream>>>(what, v, static_cast<const ChannelConstants<M>*>(device_table), g, x,
                                               out, n, channels, inner);
  GEM_CUDA_CHECK(cudaGetLastError());
}

}  // namespace detail

template <class T>
std::size_t channel_table_bytes(std::size_t channels) {
  return channels * sizeof(detail::ChannelConstants<double>);  // room for the binary64 table
}

template <class T>
void channel_op(Quantity what, Variant v, int N, const double* eps, std::size_t channels, std::size_t inner, const T* g,
                const T* x, T* out, std::size_t n, void* device_table, std::size_t table_bytes, cudaStream_t stream) {
  if (channels == 0 || inner == 0) throw std::invalid_argument("gem::cuda::channel_op: channels and inner must be > 0");
  if (table_bytes < channel_table_bytes<T>(channels))
    throw std::invalid_argument("gem::cuda::channel_op: a table of " + std::to_string(table_bytes) +
                                " bytes is too small, it needs " + std::to_string(channel_table_bytes<T>(channels)));
  for (std::size_t c = 0; c < channels; ++c) validate(make_params(v, N, eps[c]));  // throws before any launch
  if (detail::channels_need_binary64<T>(eps, channels))
    detail::run_channels<T, double>(what, v, N, eps, channels, inner, g, x, out, n, device_table, stream);
  else
    detail::run_channels<T, opmath_t<T>>(what, v, N, eps, channels, inner, g, x, out, n, device_table, stream);
}

#define GEM_CUDA_INSTANTIATE_CHANNELS(T)                                                                               \
  template std::size_t channel_table_bytes<T>(std::size_t);                                                            \
  template void channel_op<T>(Quantity, Variant, int, const double*, std::size_t, std::size_t, const T*, const T*, T*, \
                              std::size_t, void*, std::size_t, cudaStream_t);
GEM_CUDA_INSTANTIATE_CHANNELS(double)
GEM_CUDA_INSTANTIATE_CHANNELS(float)
GEM_CUDA_INSTANTIATE_CHANNELS(half)
GEM_CUDA_INSTANTIATE_CHANNELS(bfloat16)
#undef GEM_CUDA_INSTANTIATE_CHANNELS

}  // namespace gem::cuda
