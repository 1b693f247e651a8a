// gem-kernel-bench: the CPU kernel benchmark on its own (the same library as `gem bench`).
//   gem-kernel-bench --dtypes float32,bfloat16 --orders 1,2,3,4 --threads 1,2
#include <iostream>

#include <CLI/CLI.hpp>

#include "bench/kernel_bench.h"
#include "src/support/checked_output.h"

int main(int argc, char** argv) {
  gem::support::check_standard_output();
  gem::bench::KernelBenchOptions opt;
  CLI::App app{"Throughput of the GEM CPU kernels beside a memcpy of the same bytes"};
  app.add_option("--n", opt.n, "elements per call")->capture_default_str();
  app.add_option("--dtypes", opt.dtypes, "float64 float32 float16 bfloat16")->delimiter(',')->capture_default_str();
  app.add_option("--variants", opt.variants, "gem egem segem")->delimiter(',')->capture_default_str();
  app.add_option("--orders", opt.orders, "orders N (1..8)")->delimiter(',')->capture_default_str();
  app.add_option("--threads", opt.threads, "thread counts (0 = all)")->delimiter(',')->capture_default_str();
  app.add_option("--eps", opt.eps, "eps of egem and segem")->capture_default_str();
  app.add_option("--derivatives", opt.derivatives, "orders k of the derivative kernel to time (with backward_grad2)")
      ->delimiter(',');
  app.add_option("--warmup", opt.warmup, "untimed runs first")->capture_default_str();
  app.add_option("--repeats", opt.repeats, "timed runs (the median is reported)")->capture_default_str();
  app.add_flag("--json", opt.json, "one JSON object per line instead of a table");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return gem::support::finish_standard_output("gem-kernel-bench", app.exit(e) == 0 ? 0 : 2);
  }
  try {
    gem::bench::run_kernel_bench(opt, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "gem-kernel-bench: " << e.what() << '\n';
    return 1;
  }
  return gem::support::finish_standard_output("gem-kernel-bench", 0);
}
