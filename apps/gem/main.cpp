// gem: evaluate, plot and benchmark the GEM family of activation functions.
// parse (CLI11) -> validate into an Options struct -> run (the gem_app library).
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/tool_main.h"
#include "bench/kernel_bench.h"
#include "gem/cpu/kernels.h"
#include "dtype_names.h"
#include "eval_command.h"
#include "gem/quoted.h"
#include "gem/spec.h"
#include "src/plot/activation_plot.h"

namespace {

using gem::apps::kExitFailure;  // bad input or a failed run

const char* const kEvalFooter = R"(Input (stdin), one case per line:  variant,N,eps,x
  variant  gem, egem or segem;  N  an integer in [1, 8];  eps  finite and > 0 (a gem row has eps 1);
  x  any number strtod reads (any number of digits, hex, inf, nan). A first line starting with
  "variant" is a header and is skipped; blank lines are allowed only at the end.
Output (stdout), one line per case, in input order:  f,df,d2f  with 17 significant digits
  (inf, -inf, nan; -0 stays -0). x is rounded once to --dtype and evaluated by the CPU kernels of
  that dtype (forward; backward with grad_out = 1; backward_grad2 with grad = 1).
Errors: processing stops at the first bad line: the results of the lines before it are written,
  nothing for it or after it, a message naming its line number goes to stderr and the exit
  status is 1.
)";

int run_spec(const std::vector<std::string>& texts) {
  int status = 0;
  for (const std::string& text : texts) {
    try {
      std::cout << gem::ActivationSpec::parse(text).to_string() << "\n";
    } catch (const std::invalid_argument& e) {
      std::cerr << "gem spec: " << e.what() << "\n";
      status = kExitFailure;
    }
  }
  return status;
}

int run_bench(const gem::bench::KernelBenchOptions& opt) {
#ifdef GEM_APP_HAVE_KERNEL_BENCH
  gem::bench::run_kernel_bench(opt, std::cout, std::cerr);
  return 0;
#else
  (void)opt;
  std::cerr << "gem bench: this gem was built without the kernel benchmark (target gem_bench_kernels, "
               "bench/kernel_bench.cpp); configure with -DGEM_BUILD_BENCH=ON and rebuild\n";
  return kExitFailure;
#endif
}

std::string version_text() {
  return std::string("gem ") + GEM_VERSION_STRING + " (CPU kernels: " + gem::cpu::simd_target() + ")";
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);  // before check_standard_output: it replaces the buffers
  gem::support::check_standard_output();
  CLI::App app{"gem: evaluate, plot and benchmark the GEM family of activation functions"};
  app.set_version_flag("--version", version_text);
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();

  // gem eval
  std::string eval_dtype = "float64";
  int eval_threads = 0;
  CLI::App* eval = app.add_subcommand("eval", "Evaluate f, f', f'' with the CPU kernels on lines from stdin");
  eval->add_option("--dtype", eval_dtype, "Element type x is rounded to and computed in")
      ->check(CLI::IsMember(gem::app::dtype_names()));
  eval->add_option("--threads", eval_threads, "Kernel threads (0: OpenMP's maximum)")
      ->check(CLI::Range(0, gem::cpu::kMaxThreads));
  eval->footer(kEvalFooter);

  // gem plot
  std::vector<std::string> plot_acts;
  for (const auto& s : gem::plot::default_plot_family()) plot_acts.push_back(s.to_string());
  gem::plot::PlotOptions plot_opt;
  std::string plot_out = plot_opt.out.string();
  CLI::App* plot =
      app.add_subcommand("plot", "PNG of f, f' and f'' of one or more activations (and a CSV of the values)");
  plot->add_option("--act", plot_acts,
                   "Activation spec, repeat for several (relu gelu silu mish elu leaky_relu gem:N=1 "
                   "egem:N=2,eps=1e-4 segem:N=1,eps=1e-4)")
      ->allow_extra_args(false);
  plot->add_option("--from", plot_opt.from, "Left end of the x range");
  plot->add_option("--to", plot_opt.to, "Right end of the x range");
  plot->add_option("--points", plot_opt.points, "Samples per activation, both ends included");
  plot->add_option("--out", plot_out, "PNG to write; the CSV goes beside it with the extension .csv");
  plot->add_option("--title", plot_opt.title, "Title above the panels (default: the functions and the range)");
  plot->add_option("--gnuplot", plot_opt.gnuplot, "gnuplot program (a name on PATH or a path)");

  // gem bench
  gem::bench::KernelBenchOptions bench_opt;
  CLI::App* bench = app.add_subcommand("bench", "Throughput of the CPU forward/backward kernels beside memcpy");
  bench->add_option("--n", bench_opt.n, "Elements per kernel call")->check(CLI::PositiveNumber);
  bench->add_option("--dtype", bench_opt.dtypes, "Element types (comma-separated or repeated)")
      ->delimiter(',')
      ->check(CLI::IsMember(gem::app::dtype_names()));
  bench->add_option("--variant", bench_opt.variants, "Variants: gem, egem, segem")
      ->delimiter(',')
      ->check(CLI::IsMember({"gem", "egem", "segem"}));
  bench->add_option("-N,--order", bench_opt.orders, "Orders N")
      ->delimiter(',')
      ->check(CLI::Range(gem::kMinOrder, gem::kMaxOrder));
  bench->add_option("--threads", bench_opt.threads, "Thread counts (0: OpenMP's maximum)")
      ->delimiter(',')
      ->check(CLI::Range(0, gem::cpu::kMaxThreads));
  bench->add_option("--eps", bench_opt.eps, "eps of egem and segem");
  bench->add_option("--warmup", bench_opt.warmup, "Untimed calls before timing")->check(CLI::NonNegativeNumber);
  bench->add_option("--repeats", bench_opt.repeats, "Timed calls; the median is reported")->check(CLI::PositiveNumber);
  bench->add_flag("--json", bench_opt.json, "One JSON object per line instead of a table");
  bench->add_flag("--onednn", bench_opt.onednn,
                  "Also oneDNN's eltwise kernels (relu, gelu_erf, gelu_tanh, swish) on the same buffers, float32 and "
                  "bfloat16");

  // gem spec
  std::vector<std::string> spec_texts;
  CLI::App* spec = app.add_subcommand("spec", "Parse activation specs and print their canonical form");
  spec->add_option("SPEC", spec_texts, "e.g. egem:N=2,eps=0.0001")->required();

  return gem::apps::run_tool(app, argc, argv, {"gem", true}, [&] {
    if (*eval) {
      gem::app::EvalOptions opt;
      opt.dtype = gem::app::parse_dtype(eval_dtype);
      opt.threads = eval_threads;
      try {
        gem::app::run_eval(opt, std::cin, std::cout);
      } catch (const gem::app::InputError& e) {  // a bad line: the results before it stay written
        std::cout.flush();
        std::cerr << "gem eval: " << e.what() << "\n";
        return kExitFailure;
      }
      return 0;
    }
    if (*plot) {
      plot_opt.activations.clear();
      for (const std::string& text : plot_acts) plot_opt.activations.push_back(gem::ActivationSpec::parse(text));
      plot_opt.out = plot_out;
      gem::plot::validate(plot_opt);
      const gem::plot::PlotFiles files = gem::plot::run_plot(plot_opt);
      std::cout << "wrote " << files.png.string() << " and " << files.csv.string() << " ("
                << plot_opt.activations.size() << " activations x " << plot_opt.points << " points)\n";
      return 0;
    }
    if (*bench) {
      // The texts as given: CLI11 reads 1e-400 as 0 and 2^64 as 2^64 - 1.
      const std::string eps_text = bench->get_option("--eps")->count() ? bench->get_option("--eps")->as<std::string>()
                                                                       : gem::format_double(bench_opt.eps);
      if (!std::isfinite(bench_opt.eps) || !(bench_opt.eps > 0))
        throw std::invalid_argument("--eps must be finite and > 0, got " + gem::excerpt(eps_text));
      if (bench->get_option("--n")->count()) {
        const std::string n_text = bench->get_option("--n")->as<std::string>();
        errno = 0;
        char* end = nullptr;
        std::strtoull(n_text.c_str(), &end, 10);
        if (errno == ERANGE)
          throw std::invalid_argument("--n " + gem::excerpt(n_text) + " is larger than 2^64 - 1 elements");
      }
      return run_bench(bench_opt);
    }
    return run_spec(spec_texts);
  });
}
