// CUDA array kernels for the GEM family: the same operations as gem/cpu/kernels.h (src/cpu/include), on device
// pointers, launched on the caller's stream.
//
//   forward:        y[i]       = f(x[i])
//   backward:       grad_in[i] = grad_out[i] * f'(x[i])          (the only meaning of "backward")
//   backward_grad2: out[i]     = grad[i] * f''(x[i])             (second-order autograd)
//   eps_partial:    out[i]     = df/deps, d2f/(dx deps) or d2f/deps2 at x[i]  (learnable eps)
//   derivative:     out[i]     = f^(k)(x[i]), any order k                    (higher-order autograd)
//   bias_forward:   y[r, c]    = f(z[r, c]),  z = x[r, c] + bias[c]  (rows x channels, row-major)
//   bias_backward:  grad_x[r, c] = grad_out[r, c] * f'(z[r, c]),  grad_bias[c] = sum_r grad_x[r, c]
//   gated_forward:  y[r, c] = f(a[r, c]) * b[r, c]   (rows of [a | b], 2 x channels wide)
//   gated_backward: grad_x[r, c] = (grad_out * b) f'(a),  grad_x[r, C + c] = grad_out f(a)
//   channel_op:     any of the above per element with one eps per channel (a learnable eps)
//
// T is double, float, gem::half or gem::bfloat16. 16-bit types are computed in float and rounded
// once; float and 16-bit types with eps outside [2^-126, FLT_MAX] are computed in double per
// element (spec 3.2). The bias forms round z to T first, so they give the same bits as the
// unfused pair `z = x + bias` (a T tensor) followed by forward/backward; grad_bias is the sum of
// the stored grad_x (in float, double for T = double), rounded once, and it is deterministic:
// a fixed per-block split and a fixed-order second pass, no atomics.
//
// Any length (0 returns at once) and any element-aligned pointers (16-byte vector loads where the
// pointers allow it, element loads otherwise); outputs may alias inputs exactly (in place) but
// must not partially overlap. Parameters are validated on the host (throws
// std::invalid_argument); CUDA errors throw std::runtime_error naming the failed call. All work is
// enqueued on `stream` on the current device; nothing synchronizes.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "gem/numeric.h"
#include "gem/params.h"
#include "gem/quantity.h"

namespace gem::cuda {

template <class T>
void forward(const Params& p, const T* x, T* y, std::size_t n, cudaStream_t stream);

template <class T>
void backward(const Params& p, const T* grad_out, const T* x, T* grad_in, std::size_t n, cudaStream_t stream);

template <class T>
void backward_grad2(const Params& p, const T* grad, const T* x, T* out, std::size_t n, cudaStream_t stream);

/// out[i] = df/deps, d2f/(dx deps) or d2f/deps2 at x[i], as `which` says
/// (include/gem/act/gem_eps_grad.h: the derivatives a learnable eps needs). Computed in the math
/// type of T for every valid eps (that header needs no binary64 fallback). Throws
/// std::invalid_argument for another Quantity.
template <class T>
void eps_partial(const Params& p, Quantity which, const T* x, T* out, std::size_t n, cudaStream_t stream);

/// out[i] = f^(k)(x[i]) for any order 0 <= k <= kMaxDerivativeOrder (gem/act/gem_derivative.h),
/// in binary64 and rounded once. Throws std::invalid_argument for a bad k.
template <class T>
void derivative(const Params& p, int k, const T* x, T* out, std::size_t n, cudaStream_t stream);

/// Bytes of device memory channel_op needs for the constants of `channels` channels.
template <class T>
std::size_t channel_table_bytes(std::size_t channels);

/// One eps per channel (eps: `channels` values on the host): out[i] = (g ? g[i] : 1) * what(x[i])
/// with element i in channel (i / inner) % channels. The constants go to `device_table` (at least
/// channel_table_bytes bytes, on the current device) by an asynchronous copy on `stream`.
/// Throws std::invalid_argument for bad parameters or a small table.
template <class T>
void channel_op(Quantity what, Variant v, int N, const double* eps, std::size_t channels, std::size_t inner, const T* g,
                const T* x, T* out, std::size_t n, void* device_table, std::size_t table_bytes, cudaStream_t stream);

/// y = f(x + bias), bias broadcast over the rows of a row-major [rows, channels] array.
template <class T>
void bias_forward(const Params& p, const T* x, const T* bias, T* y, std::size_t rows, std::size_t channels,
                  cudaStream_t stream);

/// Bytes of device scratch that bias_backward needs for (rows, channels) on the current device.
template <class T>
std::size_t bias_backward_workspace_bytes(std::size_t rows, std::size_t channels);

/// grad_x = grad_out * f'(x + bias) and grad_bias = its column sums. `workspace` is device memory
/// of at least bias_backward_workspace_bytes<T>(rows, channels) bytes (a smaller one throws).
template <class T>
void bias_backward(const Params& p, const T* grad_out, const T* x, const T* bias, T* grad_x, T* grad_bias,
                   std::size_t rows, std::size_t channels, void* workspace, std::size_t workspace_bytes,
                   cudaStream_t stream);

/// The gated (GLU) forms over rows of [a | b] (as gem/cpu/kernels.h: the same products, the same
/// bits): y is rows x channels, x and grad_x rows x 2 channels, grad_out rows x channels.
template <class T>
void gated_forward(const Params& p, const T* x, T* y, std::size_t rows, std::size_t channels, cudaStream_t stream);
template <class T>
void gated_backward(const Params& p, const T* grad_out, const T* x, T* grad_x, std::size_t rows, std::size_t channels,
                    cudaStream_t stream);

}  // namespace gem::cuda
