// One eps per channel along the last dimension, on lanes (row_kernels.cc): what channel_kernels.cc
// runs for inner = 1.
#pragma once

#include <cstddef>
#include <vector>

#include "src/cpu/kernel_job.h"

namespace gem::cpu {

/// Runs op over `rows` rows of kernels.size() channels (element (row, c) with kernels[c]'s
/// constants; the kernels' own arrays are ignored) on up to `team` threads, adding each
/// channel's eps_grads sum to sums[c]. False, having done nothing, when a channel needs the
/// binary64 reference (eps outside binary32's range): the caller takes another path.
template <class T>
bool run_rows(const std::vector<Kernel<T>>& kernels, Op op, const T* grad_out, const T* x, T* out, double* sums,
              std::size_t rows, int team);

}  // namespace gem::cpu
