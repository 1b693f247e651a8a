// The CPU kernels' threads: how many a call gets, and a fixed split of [0, n) into chunks
// (tuning.h), so that results never depend on the thread count. Compiled-once code only.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstddef>

#include "gem/cpu/kernels.h"
#include "src/cpu/tuning.h"

namespace gem::cpu {

/// The team for `threads` (validated; 0 = OpenMP's maximum, at most kMaxThreads).
inline int resolve_threads(int threads) {
  validate_threads(threads, "gem::cpu");
  return threads == 0 ? std::min(omp_get_max_threads(), kMaxThreads) : threads;
}

/// body(begin, end) over rows [0, rows) of `row_elements` elements each, by the same rules in
/// elements: chunks of whole rows of about tuning::kChunk elements, one thread below
/// tuning::kParallelMin elements in all.
template <class Body>
void parallel_rows(std::size_t rows, std::size_t row_elements, int threads, const Body& body) {
  const std::size_t per_chunk = std::max<std::size_t>(1, tuning::kChunk / std::max<std::size_t>(1, row_elements));
  const std::size_t chunks = (rows + per_chunk - 1) / per_chunk;
  const int team = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads), chunks));
  if (rows * row_elements < tuning::kParallelMin || team <= 1) {
    body(std::size_t(0), rows);
    return;
  }
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::ptrdiff_t c = 0; c < static_cast<std::ptrdiff_t>(chunks); ++c) {
    const std::size_t begin = static_cast<std::size_t>(c) * per_chunk;
    body(begin, std::min(rows, begin + per_chunk));
  }
}

/// body(begin, end) over [0, n) in fixed chunks of tuning::kChunk on up to `threads` threads;
/// small arrays run on the calling thread.
template <class Body>
void parallel_ranges(std::size_t n, int threads, const Body& body) {
  parallel_rows(n, 1, threads, body);
}

}  // namespace gem::cpu
