// CPU array kernels for the GEM family: one signature per operation, raw pointers, no SIMD
// types in the interface, so tests, benchmarks and the torch glue drive them directly.
//
//   forward:        y[i]       = f(x[i])
//   backward:       grad_in[i] = grad_out[i] * f'(x[i])          (the only meaning of "backward")
//   backward_grad2: out[i]     = grad[i] * f''(x[i])             (second-order autograd)
//   eps_partial:    out[i]     = df/deps, d2f/(dx deps) or d2f/deps2 at x[i]   (learnable eps)
//   eps_grads:      grad_in[i] = grad_out[i] * f'(x[i]), returning sum_i grad_out[i] df/deps(x[i]):
//                   both gradients of a learnable eps in one pass
//
// Each also comes with one eps per channel (ChannelEps, as PReLU's weight): element i of the
// array belongs to channel (i / inner) % channels, the layout of a dense tensor whose channel
// dimension has stride `inner`.
//
// T is double, float, gem::half or gem::bfloat16 (16-bit types are computed in float and
// rounded once). Any length (0 is fine) and alignment; outputs may alias inputs exactly
// (in place) but must not partially overlap. `threads` = 0 uses OpenMP's current maximum, at
// most kMaxThreads; results are bit-identical for any thread count. Parameters are validated (throws
// std::invalid_argument); the kernels themselves never throw.
#pragma once

#include <cstddef>

#include "gem/act/gem_eps_grad.h"
#include "gem/numeric.h"
#include "gem/params.h"
#include "gem/quantity.h"

namespace gem::cpu {

/// The most threads a call may ask for: more would only oversubscribe, and OpenMP aborts when
/// it cannot create a team (100,000 threads does).
constexpr int kMaxThreads = 1024;

/// "threads must be in [0, 1024] (0 = OpenMP's maximum), got <t>" unless 0 <= t <= kMaxThreads.
void validate_threads(long long threads, const char* who);

/// One eps per channel (validated, channels > 0 values); variant egem or segem.
struct ChannelEps {
  Variant variant = Variant::egem;
  int N = 1;
  const double* eps = nullptr;
  std::size_t channels = 1, inner = 1;
};

// Each operation, with one eps (Params) and with one eps per channel (ChannelEps).

template <class T>
void forward(const Params& p, const T* x, T* y, std::size_t n, int threads = 0);
template <class T>
void forward(const ChannelEps& a, const T* x, T* y, std::size_t n, int threads = 0);

template <class T>
void backward(const Params& p, const T* grad_out, const T* x, T* grad_in, std::size_t n, int threads = 0);
template <class T>
void backward(const ChannelEps& a, const T* grad_out, const T* x, T* grad_in, std::size_t n, int threads = 0);

template <class T>
void backward_grad2(const Params& p, const T* grad, const T* x, T* out, std::size_t n, int threads = 0);
template <class T>
void backward_grad2(const ChannelEps& a, const T* grad, const T* x, T* out, std::size_t n, int threads = 0);

/// which: df_deps, d2f_dx_deps or d2f_deps2 (any other Quantity throws std::invalid_argument).
/// df/deps is SIMD (include/gem/act/gem_eps_lanes.h); the second derivatives in eps, needed by
/// second-order autograd only, run the scalar algorithm of gem_eps_grad.h.
template <class T>
void eps_partial(const Params& p, Quantity which, const T* x, T* out, std::size_t n, int threads = 0);
template <class T>
void eps_partial(const ChannelEps& a, Quantity which, const T* x, T* out, std::size_t n, int threads = 0);

/// grad_in = grad_out f'(x), and the sum of grad_out df/deps: returned for one eps, written to
/// eps_grad[c] for channel c. Sums are accumulated over fixed pieces in a fixed order: the same
/// bits for any thread count.
template <class T>
double eps_grads(const Params& p, const T* grad_out, const T* x, T* grad_in, std::size_t n, int threads = 0);
template <class T>
void eps_grads(const ChannelEps& a, const T* grad_out, const T* x, T* grad_in, double* eps_grad, std::size_t n,
               int threads = 0);

/// Gated (GLU) forms over `rows` rows of [a | b]: row r of x holds a = x[r, 0:C] and
/// b = x[r, C:2C], C = channels, the two halves of one projection's output.
///   gated_forward:  y[r, c] = f(a[r, c]) * b[r, c]                           (y: rows x C)
///   gated_backward: grad_x[r, c] = (grad_out[r, c] * b[r, c]) * f'(a[r, c]),
///                   grad_x[r, C + c] = grad_out[r, c] * f(a[r, c])           (grad_x: rows x 2C)
/// One pass each, computed in the math type and rounded once: for double and float the bits of
/// the unfused chain (forward then a multiply; grad_out * b then backward). Outputs must not
/// overlap inputs.
template <class T>
void gated_forward(const Params& p, const T* x, T* y, std::size_t rows, std::size_t channels, int threads = 0);
template <class T>
void gated_backward(const Params& p, const T* grad_out, const T* x, T* grad_x, std::size_t rows, std::size_t channels,
                    int threads = 0);

/// out = f^(k)(x) for any order 0 <= k <= kMaxDerivativeOrder (gem/act/gem_derivative.h:
/// k <= 2 the closed forms, higher orders scaled jets), evaluated in binary64 and rounded once
/// for every k (gem::derivative, the torch op, takes k <= 2 from forward/backward instead).
template <class T>
void derivative(const Params& p, int k, const T* x, T* out, std::size_t n, int threads = 0);

/// The plain scalar path (one element at a time through include/gem/act/gem.h), single
/// threaded: the reference every other path is tested against.
namespace reference {
template <class T>
void forward(const Params& p, const T* x, T* y, std::size_t n);
template <class T>
void backward(const Params& p, const T* grad_out, const T* x, T* grad_in, std::size_t n);
template <class T>
void backward_grad2(const Params& p, const T* grad, const T* x, T* out, std::size_t n);
/// gem_eps_grad.h in the math type of T (it needs no binary64 fallback).
template <class T>
void eps_partial(const Params& p, Quantity which, const T* x, T* out, std::size_t n);
/// grad_in = grad_out f'(x), returning sum grad_out df/deps (accumulated in double).
template <class T>
double eps_grads(const Params& p, const T* grad_out, const T* x, T* grad_in, std::size_t n);
}  // namespace reference

/// Name of the SIMD target the dispatcher picked on this machine (e.g. "AVX3_SPR").
const char* simd_target();

}  // namespace gem::cpu
