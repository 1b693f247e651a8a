// The kernel benchmark behind `gem bench`: throughput of the CPU forward and backward kernels
// (and, when asked, backward_grad2 and the k-th derivative kernel)
// (GB/s counting bytes read plus written) beside a memcpy of the same bytes, measured in the
// same run with preallocated, pre-touched buffers, warm-up and the median of repeats.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace gem::bench {

struct KernelBenchOptions {
  std::size_t n = std::size_t(1) << 24;                       // elements per call
  std::vector<std::string> dtypes{"float64", "float32", "float16", "bfloat16"};
  std::vector<std::string> variants{"egem"};                   // gem, egem, segem
  std::vector<int> orders{1, 2, 3, 4};                         // N
  std::vector<int> threads{1, 2};
  std::vector<int> derivatives;  // orders k of gem::cpu::derivative to time too (with backward_grad2)
  double eps = 1e-4;
  int warmup = 3;
  int repeats = 15;
  bool json = false;  // one JSON object per line instead of a table
  bool onednn = false;  // also oneDNN's eltwise kernels (onednn_peer.h) for float32 and bfloat16
};

/// Runs every combination and writes a table (or JSON lines: op, variant, dtype, N, threads,
/// n, gbps, seconds_median, ratio_to_memcpy) to `out`. Progress goes to `progress`.
void run_kernel_bench(const KernelBenchOptions& opt, std::ostream& out, std::ostream& progress);

}  // namespace gem::bench
