// The kernel benchmark behind `gem bench` (see kernel_bench.h).
//
// Bytes counted per element: forward and the k-th derivative (d^k) read x and write y
// (2 sizeof(T)); backward and backward_grad2 (grad2) read grad_out and x and write grad_in
// (3 sizeof(T)). The roofline beside each kernel is a
// memcpy moving the same bytes (half read, half written: sizeof(T) or 1.5 sizeof(T) per
// element), split over the same number of OpenMP threads, timed in the same run.
// Buffers are allocated once and touched before any timing (first-touch page faults are
// expensive on VMs and would otherwise land in the first measurement).
#include "bench/kernel_bench.h"
#include "bench/onednn_peer.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "gem/numeric.h"
#include "gem/params.h"
#include "gem/cpu/kernels.h"
#include "src/support/checked_output.h"
#include "src/support/memory.h"

namespace gem::bench {
namespace {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<unsigned char, FreeDeleter>;

/// 64-byte aligned, written once so that every page is mapped before timing.
Buffer touched_buffer(std::size_t bytes) {
  const std::size_t rounded = (bytes + 63) / 64 * 64;
  auto* p = static_cast<unsigned char*>(std::aligned_alloc(64, rounded == 0 ? 64 : rounded));
  if (!p) throw std::runtime_error("cannot allocate " + std::to_string(bytes) + " bytes");
  std::memset(p, 0, rounded);
  return Buffer(p);
}

std::size_t dtype_size(const std::string& dtype) {
  if (dtype == "float64") return 8;
  if (dtype == "float32") return 4;
  if (dtype == "float16" || dtype == "bfloat16") return 2;
  throw std::invalid_argument("unknown dtype '" + dtype + "' (use float64, float32, float16, bfloat16)");
}

Variant parse_variant(const std::string& name) {
  if (name == "gem") return Variant::gem;
  if (name == "egem") return Variant::egem;
  if (name == "segem") return Variant::segem;
  throw std::invalid_argument("unknown variant '" + name + "' (use gem, egem, segem)");
}

double seconds_of(const std::function<void()>& run) {
  const auto start = std::chrono::steady_clock::now();
  run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> t) {
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

/// Median seconds of `kernel` and of `copy`, timed alternately after warm-up so that both
/// see the same machine (other processes, frequency) at the same moments.
std::pair<double, double> paired_medians(int warmup, int repeats, const std::function<void()>& kernel,
                                         const std::function<void()>& copy) {
  for (int i = 0; i < warmup; ++i) {
    kernel();
    copy();
  }
  std::vector<double> tk, tc;
  for (int i = 0; i < repeats; ++i) {
    tc.push_back(seconds_of(copy));
    tk.push_back(seconds_of(kernel));
  }
  return {median(tk), median(tc)};
}

/// memcpy of `bytes`, split into equal contiguous parts over `threads` OpenMP threads.
void parallel_memcpy(unsigned char* dst, const unsigned char* src, std::size_t bytes, int threads) {
  if (threads <= 1) {
    std::memcpy(dst, src, bytes);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const std::size_t t = static_cast<std::size_t>(omp_get_thread_num());
    const std::size_t parts = static_cast<std::size_t>(omp_get_num_threads());
    const std::size_t begin = bytes * t / parts / 64 * 64;
    const std::size_t end = t + 1 == parts ? bytes : bytes * (t + 1) / parts / 64 * 64;
    std::memcpy(dst + begin, src + begin, end - begin);
  }
}

/// Inputs in the range activations see (standard normal, a few outliers), stored as T.
template <class T>
void fill_inputs(T* x, T* g, std::size_t n) {
  std::mt19937_64 rng(42);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = T(normal(rng) * 2.0f);
    g[i] = T(normal(rng));
  }
}

struct Row {
  std::string op, variant, dtype;
  int N = 0, threads = 0;
  std::size_t n = 0, bytes = 0;  // elements per call; bytes read + written per call
  double seconds = 0, gbps = 0;
  double memcpy_seconds = 0, ratio = 0;  // the memcpy of the same bytes timed beside it
};

void write_row(const Row& r, bool json, std::ostream& out) {
  char line[512];
  if (json) {
    std::snprintf(line, sizeof line,
                  "{\"op\":\"%s\",\"variant\":\"%s\",\"dtype\":\"%s\",\"N\":%d,\"threads\":%d,\"n\":%zu,"
                  "\"bytes\":%zu,\"gbps\":%.3f,\"seconds_median\":%.6e,\"memcpy_gbps\":%.3f,"
                  "\"ratio_to_memcpy\":%.4f,\"simd\":\"%s\"}\n",
                  r.op.c_str(), r.variant.c_str(), r.dtype.c_str(), r.N, r.threads, r.n, r.bytes, r.gbps,
                  r.seconds, r.bytes / r.memcpy_seconds * 1e-9, r.ratio, cpu::simd_target());
  } else {
    std::snprintf(line, sizeof line, "%-9s %-16s %-9s %2d %7d %10zu %9.1f %9.3f %9.2f %9.2f %7.3f\n", r.op.c_str(),
                  r.variant.c_str(), r.dtype.c_str(), r.N, r.threads, r.n, r.bytes / 1048576.0, r.seconds * 1e3, r.gbps,
                  r.bytes / r.memcpy_seconds * 1e-9, r.ratio);
  }
  out << line;
  support::check_written(out, "the results");  // a full disk ends the benchmark at once
}

class Runner {
 public:
  Runner(const KernelBenchOptions& opt, std::ostream& out, std::ostream& progress)
      : opt_(opt), out_(out), progress_(progress) {
    const std::size_t bytes = opt.n * 8;  // the widest dtype; validate_options checked 5 * bytes fits
    in_ = touched_buffer(2 * bytes);      // x then grad_out; also the memcpy source
    out_buf_ = touched_buffer(bytes);
    copy_dst_ = touched_buffer(2 * bytes);
  }

  template <class T>
  void run_dtype(const std::string& dtype) {
    const std::size_t n = opt_.n;
    T* x = reinterpret_cast<T*>(in_.get());
    T* g = x + n;
    T* y = reinterpret_cast<T*>(out_buf_.get());
    fill_inputs(x, g, n);
    for (int requested : opt_.threads) {
      const int threads = requested == 0 ? omp_get_max_threads() : requested;
      for (const std::string& vname : opt_.variants) {
        const Variant v = parse_variant(vname);
        for (int order : opt_.orders) {
          const Params p = make_params(v, order, v == Variant::gem ? 1.0 : opt_.eps);
          progress_ << "bench: " << dtype << ' ' << vname << " N=" << order << " threads=" << threads << '\n'
                    << std::flush;
          measure("forward", vname, dtype, order, threads, 2 * n * sizeof(T),
                  [&] { cpu::forward<T>(p, x, y, n, threads); });
          measure("backward", vname, dtype, order, threads, 3 * n * sizeof(T),
                  [&] { cpu::backward<T>(p, g, x, y, n, threads); });
          if (!opt_.derivatives.empty())
            measure("grad2", vname, dtype, order, threads, 3 * n * sizeof(T),
                    [&] { cpu::backward_grad2<T>(p, g, x, y, n, threads); });
          for (int k : opt_.derivatives)
            measure(("d^" + std::to_string(k)).c_str(), vname, dtype, order, threads, 2 * n * sizeof(T),
                    [&] { cpu::derivative<T>(p, k, x, y, n, threads); });
        }
      }
      if (opt_.onednn && (dtype == "float32" || dtype == "bfloat16"))
        run_onednn(dtype, threads, x, g, y, n * sizeof(T));
    }
  }

 private:
  /// Times one kernel beside a memcpy moving the same `moved` bytes (read + written); the
  /// first time a (dtype, threads, bytes) copy is timed it is also reported as a memcpy row.
  void measure(const char* op, const std::string& variant, const std::string& dtype, int order, int threads,
               std::size_t moved, const std::function<void()>& kernel) {
    const std::size_t copy_bytes = moved / 2;
    const auto [seconds, copy] = paired_medians(opt_.warmup, opt_.repeats, kernel, [&] {
      parallel_memcpy(copy_dst_.get(), in_.get(), copy_bytes, threads);
    });
    if (reported_copies_.insert({dtype, threads, moved}).second) {
      write_row(Row{"memcpy", "-", dtype, 0, threads, opt_.n, moved, copy, moved / copy * 1e-9, copy, 1.0},
                opt_.json, out_);
    }
    write_row(Row{op, variant, dtype, order, threads, opt_.n, moved, seconds, moved / seconds * 1e-9, copy,
                  copy / seconds},
              opt_.json, out_);
  }

  /// oneDNN's eltwise kernels on the same buffers; its OpenMP runtime uses `threads` threads.
  void run_onednn(const std::string& dtype, int threads, void* x, void* g, void* y, std::size_t bytes) {
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    for (const std::string& alg : onednn_algorithms()) {
      progress_ << "bench: " << dtype << " oneDNN " << alg << " threads=" << threads << '\n' << std::flush;
      for (const bool backward : {false, true}) {
        std::function<void()> kernel;
        try {
          kernel = onednn_eltwise(alg, dtype, backward, x, g, y, opt_.n);
        } catch (const OneDnnUnsupported& e) {  // a peer this CPU lacks is no row, not an error
          progress_ << "bench: skipped " << e.what() << '\n' << std::flush;
          continue;
        }
        measure(backward ? "backward" : "forward", "onednn:" + alg, dtype, 0, threads, (backward ? 3 : 2) * bytes,
                kernel);
      }
    }
    omp_set_num_threads(before);
  }

  const KernelBenchOptions& opt_;
  std::ostream& out_;
  std::ostream& progress_;
  Buffer in_, out_buf_, copy_dst_;
  std::set<std::tuple<std::string, int, std::size_t>> reported_copies_;
};

// Buffers: 2n elements in, n out, 2n for the copy, of the widest dtype (8 bytes).
constexpr std::uint64_t kBufferBytesPerElement = 5 * 8;

void validate_options(const KernelBenchOptions& opt) {
  if (opt.n == 0) throw std::invalid_argument("--n must be > 0");
  const std::uint64_t available = support::available_memory_bytes();
  const auto needed = support::checked_product({opt.n, kBufferBytesPerElement});
  if (!needed || *needed > available)
    throw std::invalid_argument(
        "--n " + std::to_string(opt.n) + " needs " +
        (needed ? support::format_bytes(static_cast<double>(*needed)) : std::string("more than 2^64 bytes")) +
        " of buffers (40 bytes per element), more than the " + support::format_bytes(static_cast<double>(available)) +
        " of memory available; use a smaller --n");
  if (opt.warmup < 0 || opt.repeats < 1)
    throw std::invalid_argument("need warmup >= 0 and repeats >= 1, got warmup=" +
                                std::to_string(opt.warmup) + " repeats=" + std::to_string(opt.repeats));
  for (const auto& d : opt.dtypes) dtype_size(d);
  for (const auto& v : opt.variants) {
    const Variant var = parse_variant(v);
    if (var != Variant::gem) validate_eps(var, opt.eps);
  }
  for (int N : opt.orders) validate_order(N);
  for (int t : opt.threads) cpu::validate_threads(t, "--threads");
  for (int k : opt.derivatives) validate_derivative_order(k);
  if (opt.onednn && !have_onednn())
    throw std::invalid_argument("--onednn: this gem was built without oneDNN (install libdnnl-dev and rebuild)");
}

}  // namespace

void run_kernel_bench(const KernelBenchOptions& opt, std::ostream& out, std::ostream& progress) {
  validate_options(opt);
  Runner runner(opt, out, progress);
  if (!opt.json) {
    out << "# simd target " << cpu::simd_target() << ", n = " << opt.n << ", eps = " << format_double(opt.eps)
        << ", median of " << opt.repeats << " after " << opt.warmup << " warm-up runs\n";
    out << "# GB/s counts bytes read + written (MiB per call); copy GB/s: a memcpy of the same bytes on the\n"
           "# same threads, timed alternately with the kernel; ratio = copy time / kernel time\n";
    char header[256];
    std::snprintf(header, sizeof header, "%-9s %-16s %-9s %2s %7s %10s %9s %9s %9s %9s %7s\n", "op", "variant", "dtype",
                  "N", "threads", "n", "MiB", "ms", "GB/s", "copy GB/s", "ratio");
    out << header;
  }
  for (const std::string& dtype : opt.dtypes) {
    if (dtype == "float64") runner.run_dtype<double>(dtype);
    else if (dtype == "float32") runner.run_dtype<float>(dtype);
    else if (dtype == "float16") runner.run_dtype<half>(dtype);
    else runner.run_dtype<bfloat16>(dtype);
  }
}

}  // namespace gem::bench
