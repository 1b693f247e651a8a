// Fused bias + activation on a row-major [rows, channels] array, bias broadcast over rows:
// one pass over memory instead of two (x + b written and read back).
//
// Shape (vector_split.h: bias_shape): a block is 256 threads, x across groups of columns (a
// 16-byte vector of columns per thread when rows start aligned, else one column), y across rows;
// blockIdx.x picks a slice of columns, blockIdx.y a share of the rows (grid-stride over rows).
// Each thread loads its bias once.
//
// grad_bias, deterministically: each thread sums its columns over its rows (fixed order), the
// block sums its threads with a fixed tree in shared memory and writes one partial row per
// blockIdx.y to the workspace, and a second kernel adds the partial rows of each column in order.
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

/// z = x + bias in the math type of T, rounded to T: the value the unfused pair would store.
template <class T, class M>
__device__ __forceinline__ M biased(T x, opmath_t<T> b) {
  return static_cast<M>(to_math(narrow_to<T>(to_math(x) + b)));
}

template <int G, class T>
__device__ __forceinline__ void load_bias(const T* bias, std::size_t c0, opmath_t<T> (&b)[G]) {
  const Packet<T, G> pb = load_packet<G>(bias + c0);
#pragma unroll
  for (int k = 0; k < G; ++k) b[k] = to_math(pb.lane[k]);
}

template <int G, class T, class Fn>
__device__ __forceinline__ void bias_forward_columns(const Fn& fn, const T* x, const T* bias, T* y, std::size_t rows,
                                                     std::size_t channels) {
  using M = typename Fn::Math;
  const std::size_t groups = (channels + G - 1) / G;
  const std::size_t group = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (group >= groups) return;
  const std::size_t c0 = group * G;
  opmath_t<T> b[G];
  load_bias<G>(bias, c0, b);
  const std::size_t row_stride = static_cast<std::size_t>(gridDim.y) * blockDim.y;
  for (std::size_t r = static_cast<std::size_t>(blockIdx.y) * blockDim.y + threadIdx.y; r < rows; r += row_stride) {
    const std::size_t i = r * channels + c0;
    const Packet<T, G> in = load_packet<G>(x + i);
    Packet<T, G> out;
#pragma unroll
    for (int k = 0; k < G; ++k) out.lane[k] = narrow_to<T>(fn(biased<T, M>(in.lane[k], b[k])));
    store_packet<G>(y + i, out);
  }
}

template <class T, class Fn>
__global__ void __launch_bounds__(kBlockThreads)
    bias_forward_kernel(Fn fn, const T* x, const T* bias, T* y, std::size_t rows, std::size_t channels, int group) {
  if (group == 1) bias_forward_columns<1>(fn, x, bias, y, rows, channels);
  else bias_forward_columns<kVectorLanes<T>>(fn, x, bias, y, rows, channels);
}

// With z = x + b broadcast over rows: d y[r,c] / d x[r,c] = f'(z[r,c]) and y[r,c] depends on
// b[c] for every r, so grad_x = grad_out * f'(z) and grad_b[c] = sum over r of grad_x[r, c].
template <int G, class T, class Fn>
__device__ __forceinline__ void bias_backward_columns(const Fn& fn, const T* grad_out, const T* x, const T* bias,
                                                      T* grad_x, opmath_t<T>* smem, opmath_t<T>* partial,
                                                      std::size_t rows, std::size_t channels) {
  using M = typename Fn::Math;
  using A = opmath_t<T>;
  const std::size_t groups = (channels + G - 1) / G;
  const std::size_t group = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const bool active = group < groups;  // idle threads still take part in the block's reduction
  const std::size_t c0 = group * G;
  A acc[G];
#pragma unroll
  for (int k = 0; k < G; ++k) acc[k] = A(0);
  if (active) {
    A b[G];
    load_bias<G>(bias, c0, b);
    const std::size_t row_stride = static_cast<std::size_t>(gridDim.y) * blockDim.y;
    for (std::size_t r = static_cast<std::size_t>(blockIdx.y) * blockDim.y + threadIdx.y; r < rows; r += row_stride) {
      const std::size_t i = r * channels + c0;
      const Packet<T, G> gin = load_packet<G>(grad_out + i);
      const Packet<T, G> xin = load_packet<G>(x + i);
      Packet<T, G> res;
#pragma unroll
      for (int k = 0; k < G; ++k) {
        const M scale = static_cast<M>(to_math(gin.lane[k]));
        res.lane[k] = narrow_to<T>(scale * fn(biased<T, M>(xin.lane[k], b[k])));
        acc[k] += to_math(res.lane[k]);  // the stored value: grad_bias = sum of grad_x
      }
      store_packet<G>(grad_x + i, res);
    }
  }
  // Sum over threadIdx.y with a fixed tree; layout [k][y][x] keeps a warp on distinct banks.
  const unsigned tx = threadIdx.x, ty = threadIdx.y, bx = blockDim.x, by = blockDim.y;
#pragma unroll
  for (int k = 0; k < G; ++k) smem[(k * by + ty) * bx + tx] = acc[k];
  __syncthreads();
  for (unsigned half_rows = by / 2; half_rows > 0; half_rows /= 2) {
    if (ty < half_rows) {
#pragma unroll
      for (int k = 0; k < G; ++k) smem[(k * by + ty) * bx + tx] += smem[(k * by + ty + half_rows) * bx + tx];
    }
    __syncthreads();
  }
  if (ty == 0 && active) {
#pragma unroll
    for (int k = 0; k < G; ++k) partial[static_cast<std::size_t>(blockIdx.y) * channels + c0 + k] = smem[k * by * bx + tx];
  }
}

template <class T, class Fn>
__global__ void __launch_bounds__(kBlockThreads)
    bias_backward_kernel(Fn fn, const T* grad_out, const T* x, const T* bias, T* grad_x, opmath_t<T>* partial,
                         std::size_t rows, std::size_t channels, int group) {
  __shared__ opmath_t<T> smem[kBlockThreads * kVectorLanes<T>];
  if (group == 1) bias_backward_columns<1>(fn, grad_out, x, bias, grad_x, smem, partial, rows, channels);
  else bias_backward_columns<kVectorLanes<T>>(fn, grad_out, x, bias, grad_x, smem, partial, rows, channels);
}

/// grad_bias[c] = sum over k of partial[k][c], one warp per column, fixed order.
template <class T>
__global__ void __launch_bounds__(kBlockThreads)
    bias_grad_sum_kernel(const opmath_t<T>* partial, std::size_t parts, std::size_t channels, T* grad_bias) {
  using A = opmath_t<T>;
  constexpr unsigned kWarp = 32;
  const unsigned lane = threadIdx.x % kWarp;
  const std::size_t warps = static_cast<std::size_t>(gridDim.x) * (blockDim.x / kWarp);
  for (std::size_t c = (static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp; c < channels;
       c += warps) {
    A sum = A(0);
    for (std::size_t k = lane; k < parts; k += kWarp) sum += partial[k * channels + c];
    for (unsigned offset = kWarp / 2; offset > 0; offset /= 2) sum += __shfl_down_sync(0xFFFFFFFFu, sum, offset);
    if (lane == 0) grad_bias[c] = narrow_to<T>(sum);
  }
}

/// The launch shape for (rows, channels) with `group` columns per thread on this device;
/// `kernel` == nullptr gives the largest grid any kernel here can get (for workspace sizes).
template <class T>
BiasShape bias_launch_shape(std::size_t rows, std::size_t channels, int group, const void* kernel) {
  const int device = current_device();
  const std::size_t wave =
      static_cast<std::size_t>(sm_count(device)) * resident_blocks_per_sm(kernel, kBlockThreads, device);
  const BiasShape s = bias_shape(rows, channels, group, wave, kBlockThreads);
  if (s.grid_x > 0x7FFFFFFFu) throw std::invalid_argument("gem::cuda bias: too many channels for one launch");
  return s;
}

template <class T>
std::size_t bias_workspace_bytes_for(const BiasShape& s, std::size_t channels) {
  return static_cast<std::size_t>(s.grid_y) * channels * sizeof(opmath_t<T>);
}

template <class T, class Fn>
void launch_bias_forward(const Fn& fn, const T* x, const T* bias, T* y, std::size_t rows, std::size_t channels,
                         cudaStream_t stream) {
  const int group = row_column_group(channels, sizeof(T), {x, bias, y});
  const auto kernel = bias_forward_kernel<T, Fn>;
  const BiasShape s = bias_launch_shape<T>(rows, channels, group, reinterpret_cast<const void*>(kernel));
  kernel<<<dim3(s.grid_x, s.grid_y), dim3(s.block_x, s.block_y), 0, stream>>>(fn, x, bias, y, rows, channels, group);
  GEM_CUDA_CHECK(cudaGetLastError());
}

template <class T, class Fn>
void launch_bias_backward(const Fn& fn, const T* grad_out, const T* x, const T* bias, T* grad_x, T* grad_bias,
                          std::size_t rows, std::size_t channels, void* workspace, std::size_t workspace_bytes,
                          cudaStream_t stream) {
  const int group = row_column_group(channels, sizeof(T), {grad_out, x, bias, grad_x});
  const auto kernel = bias_backward_kernel<T, Fn>;
  const BiasShape s = bias_launch_shape<T>(rows, channels, group, reinterpret_cast<const void*>(kernel));
  const std::size_t needed = bias_workspace_bytes_for<T>(s, channels);
  if (workspace == nullptr || workspace_bytes < needed)
    throw std::invalid_argument("gem::cuda::bias_backward: workspace of " + std::to_string(workspace_bytes) +
                                " bytes is too small, it needs " + std::to_string(needed) +
                                " (ask bias_backward_workspace_bytes)");
  auto* partial = static_cast<opmath_t<T>*>(workspace);
  kernel<<<dim3(s.grid_x, s.grid_y), dim3(s.block_x, s.block_y), 0, stream>>>(fn, grad_out, x, bias, grad_x, partial,
                                                                             rows, channels, group);
  GEM_CUDA_CHECK(cudaGetLastError());
  const auto sum_kernel = bias_grad_sum_kernel<T>;
  const std::size_t sum_threads = channels * 32;  // one warp per column
  const unsigned blocks = grid_blocks(sum_threads, reinterpret_cast<const void*>(sum_kernel));
  sum_kernel<<<blocks, kBlockThreads, 0, stream>>>(partial, s.grid_y, channels, grad_bias);
  GEM_CUDA_CHECK(cudaGetLastError());
}

}  // namespace gem::cuda::detail

namespace gem::cuda {

template <class T>
void bias_forward(const Params& p, const T* x, const T* bias, T* y, std::size_t rows, std::size_t channels,
                  cudaStream_t stream) {
  using namespace detail;
  with_activation_fn<T, Quantity::value>(p, [&](const auto& fn) {
    if (rows > 0 && channels > 0) launch_bias_forward(fn, x, bias, y, rows, channels, stream);
  });
}

template <class T>
std::size_t bias_backward_workspace_bytes(std::size_t rows, std::size_t channels) {
  using namespace detail;
  if (rows == 0 || channels == 0) return 0;
  std::size_t bytes = 0;
  for (const int group : {1, kVectorLanes<T>}) {
    const std::size_t b = bias_workspace_bytes_for<T>(bias_launch_shape<T>(rows, channels, group, nullptr), channels);
    if (b > bytes) bytes = b;
  }
  return bytes;
}

template <class T>
void bias_backward(const Params& p, const T* grad_out, const T* x, const T* bias, T* grad_x, T* grad_bias,
                   std::size_t rows, std::size_t channels, void* workspace, std::size_t workspace_bytes,
                   cudaStream_t stream) {
  using namespace detail;
  with_activation_fn<T, Quantity::grad>(p, [&](const auto& fn) {
    if (channels == 0) return;
    if (rows == 0) {  // an empty sum: grad_bias = 0 (all-zero bits are +0 in every storage type)
      GEM_CUDA_CHECK(cudaMemsetAsync(grad_bias, 0, channels * sizeof(T), stream));
      return;
    }
    launch_bias_backward(fn, grad_out, x, bias, grad_x, grad_bias, rows, channels, workspace, workspace_bytes,
                         stream);
  });
}

}  // namespace gem::cuda

/// Explicit instantiation of the fused bias entry points for storage type T.
#define GEM_CUDA_INSTANTIATE_BIAS(T)                                                                      \
  template void bias_forward<T>(const Params&, const T*, const T*, T*, std::size_t, std::size_t,          \
                                cudaStream_t);                                                            \
  template std::size_t bias_backward_workspace_bytes<T>(std::size_t, std::size_t);                        \
  template void bias_backward<T>(const Params&, const T*, const T*, const T*, T*, T*, std::size_t,        \
                                 std::size_t, void*, std::size_t, cudaStream_t);
