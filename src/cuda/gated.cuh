// The gated (GLU) forms on rows of [a | b] (row r of x: a = x[r, 0:C], b = x[r, C:2C]):
//   gated_forward:  y[r, c] = f(a) * b
//   gated_backward: grad_x[r, c] = (grad_out * b) * f'(a),  grad_x[r, C + c] = grad_out * f(a)
// One grid-stride pass each; a thread owns `group` consecutive columns of one row per step (a
// 16-byte vector when every row starts on a 16-byte boundary, else one column). The products
// are in the math type and rounded once, in the order of the CPU kernels (gated_kernels.cc), so
// the GPU gives their bits. Included by one .cu per storage type (gated_<dtype>.cu).
#pragma once

#include <cstddef>

#include "src/cuda/activation_fn.cuh"
#include "src/cuda/kernels.h"
#include "src/cuda/launch.cuh"
#include "src/cuda/storage.cuh"
#include "src/cuda/vector_split.h"

namespace gem::cuda::detail {

/// The functor of f' beside that of f: the same form (lane or reference), the same constants.
template <int N, bool kSegem, class M>
LaneFn<N, kSegem, Quantity::grad, M> derivative_fn(const LaneFn<N, kSegem, Quantity::value, M>& fn) {
  return {fn.k};
}
template <class M>
ReferenceFn<Quantity::grad, M> derivative_fn(const ReferenceFn<Quantity::value, M>& fn) {
  return {fn.variant, fn.c};
}

template <int G, bool kBackward, class T, class Fn, class DFn>
__device__ __forceinline__ void gated_columns(const Fn& fn, const DFn& dfn, const T* g, const T* x, T* out,
                                              std::size_t rows, std::size_t channels) {
  using M = typename Fn::Math;
  const std::size_t groups = channels / G, items = rows * groups;
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t j = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < items; j += stride) {
    const std::size_t r = j / groups, c0 = (j - r * groups) * G;
    const T* a = x + r * 2 * channels + c0;
    const Packet<T, G> pa = load_packet<G>(a), pb = load_packet<G>(a + channels);
    Packet<T, G> ya;
    if constexpr (kBackward) {
      const Packet<T, G> pg = load_packet<G>(g + r * channels + c0);
      Packet<T, G> yb;
#pragma unroll
      for (int k = 0; k < G; ++k) {
        const M av = static_cast<M>(to_math(pa.lane[k])), gv = static_cast<M>(to_math(pg.lane[k]));
        ya.lane[k] = narrow_to<T>((gv * static_cast<M>(to_math(pb.lane[k]))) * dfn(av));
        yb.lane[k] = narrow_to<T>(gv * fn(av));
      }
      T* o = out + r * 2 * channels + c0;
      store_packet<G>(o, ya);
      store_packet<G>(o + channels, yb);
    } else {
#pragma unroll
      for (int k = 0; k < G; ++k)
        ya.lane[k] = narrow_to<T>(fn(static_cast<M>(to_math(pa.lane[k]))) * static_cast<M>(to_math(pb.lane[k])));
      store_packet<G>(out + r * channels + c0, ya);
    }
  }
}

template <bool kBackward, class T, class Fn, class DFn>
__global__ void __launch_bounds__(kBlockThreads)
    gated_kernel(Fn fn, DFn dfn, const T* g, const T* x, T* out, std::size_t rows, std::size_t channels, int group) {
  if (group == 1)
    gated_columns<1, kBackward>(fn, dfn, g, x, out, rows, channels);
  else
    gated_columns<kVectorLanes<T>, kBackward>(fn, dfn, g, x, out, rows, channels);
}

template <bool kBackward, class T, class Fn>
void launch_gated(const Fn& fn, const T* g, const T* x, T* out, std::size_t rows, std::size_t channels,
                  cudaStream_t stream) {
  const int group =
      kBackward ? row_column_group(channels, sizeof(T), {g, x, out}) : row_column_group(channels, sizeof(T), {x, out});
  const auto dfn = derivative_fn(fn);
  const auto kernel = gated_kernel<kBackward, T, Fn, decltype(dfn)>;
  const unsigned blocks = grid_blocks(rows * (channels / group), reinterpret_cast<const void*>(kernel));
  kernel<<<blocks, kBlockThreads, 0, stream>>>(fn, dfn, g, x, out, rows, channels, group);
  GEM_CUDA_CHECK(cudaGetLastError());
}

}  // namespace gem::cuda::detail

namespace gem::cuda {

template <class T>
void gated_forward(const Params& p, const T* x, T* y, std::size_t rows, std::size_t channels, cudaStream_t stream) {
  using namespace detail;
  with_activation_fn<T, Quantity::value>(p, [&](const auto& fn) {
    if (rows > 0 && channels > 0) launch_gated<false>(fn, static_cast<const T*>(nullptr), x, y, rows, channels, stream);
  });
}

template <class T>
void gated_backward(const Params& p, const T* grad_out, const T* x, T* grad_x, std::size_t rows, std::size_t channels,
                    cudaStream_t stream) {
  using namespace detail;
  with_activation_fn<T, Quantity::value>(p, [&](const auto& fn) {
    if (rows > 0 && channels > 0) launch_gated<true>(fn, grad_out, x, grad_x, rows, channels, stream);
  });
}

}  // namespace gem::cuda

/// Explicit instantiation of the gated entry points for storage type T.
#define GEM_CUDA_INSTANTIATE_GATED(T)                                                                  \
  template void gated_forward<T>(const Params&, const T*, T*, std::size_t, std::size_t, cudaStream_t); \
  template void gated_backward<T>(const Params&, const T*, const T*, T*, std::size_t, std::size_t, cudaStream_t);
