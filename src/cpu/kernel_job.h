// What one kernel call asks of a per-target body: the arrays, the operation and the constants
// already computed for (N, eps). Plain C++, shared by gem_kernels.cc's dispatch side and its
// per-target code (compiled once per SIMD target).
#pragma once

#include <cstddef>

#include "gem/act/gem_constants.h"
#include "gem/numeric.h"
#include "gem/params.h"

namespace gem::cpu {

enum class Op { forward, backward };

template <class T>
struct KernelJob {
  Op op;
  Variant variant;
  const T* x;
  const T* grad_out;  // backward only
  T* out;
  GemConstants<opmath_t<T>> c;
  bool stream;  // non-temporal stores for the aligned body (large arrays, see gem_kernels.cc)
};

/// One contiguous piece [begin, end) of a job; what a thread runs.
template <class T>
using RangeFn = void (*)(const KernelJob<T>& job, std::size_t begin, std::size_t end);

}  // namespace gem::cpu
