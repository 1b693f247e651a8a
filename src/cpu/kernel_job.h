// What one kernel call asks of a per-target body: the arrays, the operation and the constants
// already computed for (N, eps). Plain C++, shared by gem_kernels.cc's dispatch side and its
// per-target code (compiled once per SIMD target).
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

template <class T>
struct KernelJob {
  Op op;
  Variant variant;
  const T* x;
  const T* grad_out;  // backward and eps_grads only
  T* out;
  GemConstants<opmath_t<T>> c;
  EpsScale<opmath_t<T>> scale;          // eps_partial and eps_grads only
  EpsGradConstants<opmath_t<T>> eps_c;  // the scalar algorithm, for lanes the lane form flags
  bool stream;  // non-temporal stores for the aligned body (large arrays, see gem_kernels.cc)
};

/// One contiguous piece [begin, end) of a job; what a thread runs. Returns the piece's sum of
/// grad_out df/deps for eps_grads (accumulated in a fixed order), 0 otherwise.
template <class T>
using RangeFn = double (*)(const KernelJob<T>& job, std::size_t begin, std::size_t end);

}  // namespace gem::cpu
