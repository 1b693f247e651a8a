// forward, backward, backward_grad2, eps_partial and derivative: one grid-stride kernel per shape of
// operation (y = fn(x), out = g * fn(x)), the per-element function a functor (activation_fn.cuh).
// Included by one .cu per storage type, which instantiates the entry points
// (elementwise_<dtype>.cu).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "src/cuda/activation_fn.cuh"
#include "src/cuda/kernels.h"
#include "src/cuda/launch.cuh"
#include "src/cuda/storage.cuh"
#include "src/cuda/vector_split.h"

namespace gem::cuda::detail {

/// The element index of scalar item j: the head first, then the tail after the vectors.
__device__ __forceinline__ std::size_t scalar_index(std::size_t j, const VectorSplit& s, int lanes) {
  return j < s.head ? j : s.head + s.vectors * lanes + (j - s.head);
}

/// out = fn(x), or with kScaled out = g * fn(x), the product in the math type and rounded once.
template <bool kScaled, class T, class Fn>
__global__ void __launch_bounds__(kBlockThreads) map_kernel(Fn fn, const T* g, const T* x, T* out, VectorSplit s) {
  using M = typename Fn::Math;
  constexpr int kLanes = kVectorLanes<T>;
  const auto element = [&](T gi, T xi) {
    const M y = fn(static_cast<M>(to_math(xi)));
    if constexpr (kScaled)
      return narrow_to<T>(static_cast<M>(to_math(gi)) * y);
    else
      return narrow_to<T>(y);
  };
  const std::size_t first = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t j = first; j < s.head + s.tail; j += stride) {
    const std::size_t i = scalar_index(j, s, kLanes);
    out[i] = element(kScaled ? g[i] : T(), x[i]);
  }
  const T* gv = g + s.head;  // not read unless kScaled
  const T* xv = x + s.head;
  T* ov = out + s.head;
  for (std::size_t v = first; v < s.vectors; v += stride) {
    Packet<T> gin{};
    if constexpr (kScaled) gin = load_packet<kLanes>(gv + v * kLanes);
    const Packet<T> xin = load_packet<kLanes>(xv + v * kLanes);
    Packet<T> res;
#pragma unroll
    for (int k = 0; k < kLanes; ++k) res.lane[k] = element(gin.lane[k], xin.lane[k]);
    store_packet<kLanes>(ov + v * kLanes, res);
  }
}

/// out = fn(x) (g null) or out = g * fn(x) over n elements.
template <bool kScaled, class T, class Fn>
void launch_map_kernel(const Fn& fn, const T* g, const T* x, T* out, std::size_t n, cudaStream_t stream) {
  const VectorSplit s =
      kScaled ? split_for_vectors(n, sizeof(T), {g, x, out}) : split_for_vectors(n, sizeof(T), {x, out});
  const auto kernel = map_kernel<kScaled, T, Fn>;
  const unsigned blocks = grid_blocks(s.head + s.vectors + s.tail, reinterpret_cast<const void*>(kernel));
  kernel<<<blocks, kBlockThreads, 0, stream>>>(fn, g, x, out, s);
  GEM_CUDA_CHECK(cudaGetLastError());
}

template <class T, class Fn>
void launch_map(const Fn& fn, const T* x, T* y, std::size_t n, cudaStream_t stream) {
  launch_map_kernel<false>(fn, static_cast<const T*>(nullptr), x, y, n, stream);
}

template <class T, class Fn>
void launch_scaled_map(const Fn& fn, const T* g, const T* x, T* out, std::size_t n, cudaStream_t stream) {
  launch_map_kernel<true>(fn, g, x, out, n, stream);
}

}  // namespace gem::cuda::detail

namespace gem::cuda {

template <class T>
void forward(const Params& p, const T* x, T* y, std::size_t n, cudaStream_t stream) {
  using namespace detail;
  with_activation_fn<T, Quantity::value>(p, [&](const auto& fn) {
    if (n > 0) launch_map(fn, x, y, n, stream);
  });
}

template <class T>
void backward(const Params& p, const T* grad_out, const T* x, T* grad_in, std::size_t n, cudaStream_t stream) {
  using namespace detail;
  with_activation_fn<T, Quantity::grad>(p, [&](const auto& fn) {
    if (n > 0) launch_scaled_map(fn, grad_out, x, grad_in, n, stream);
  });
}

template <class T>
void backward_grad2(const Params& p, const T* grad, const T* x, T* out, std::size_t n, cudaStream_t stream) {
  using namespace detail;
  with_activation_fn<T, Quantity::grad2>(p, [&](const auto& fn) {
    if (n > 0) launch_scaled_map(fn, grad, x, out, n, stream);
  });
}

template <class T>
void eps_partial(const Params& p, Quantity which, const T* x, T* out, std::size_t n, cudaStream_t stream) {
  using namespace detail;
  validate(p);
  require_eps_partial(which, "gem::cuda::eps_partial");
  using M = opmath_t<T>;
  if (n > 0) launch_map(EpsPartialFn<M>{p.variant, make_eps_grad_constants<M>(p.N, p.eps), which}, x, out, n, stream);
}

template <class T>
void derivative(const Params& p, int k, const T* x, T* out, std::size_t n, cudaStream_t stream) {
  using namespace detail;
  validate(p);
  validate_derivative_order(k);
  if (n > 0) launch_map(DerivativeFn{p.variant, k, make_constants<double>(p)}, x, out, n, stream);
}

}  // namespace gem::cuda

/// Explicit instantiation of the elementwise entry points for storage type T.
#define GEM_CUDA_INSTANTIATE_ELEMENTWISE(T)                                                          \
  template void forward<T>(const Params&, const T*, T*, std::size_t, cudaStream_t);                  \
  template void backward<T>(const Params&, const T*, const T*, T*, std::size_t, cudaStream_t);       \
  template void backward_grad2<T>(const Params&, const T*, const T*, T*, std::size_t, cudaStream_t); \
  template void eps_partial<T>(const Params&, Quantity, const T*, T*, std::size_t, cudaStream_t);    \
  template void derivative<T>(const Params&, int, const T*, T*, std::size_t, cudaStream_t);
