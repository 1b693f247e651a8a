// gem-torch-bench: the gem operators against torch's own activations on CPU, on the same tensors.
//
// 1. Elementwise: forward and backward of E-GEM (N=1, eps=1e-4) vs torch::relu, torch::gelu,
//    torch::silu and the same E-GEM composed of eager torch ops, for each size, dtype and thread
//    count. Two modes: "alloc" (a fresh output per call, as autograd does) and "out" (output
//    preallocated and pre-touched: gem::forward_out / at::gelu_out / ...; the kernel speed). The
//    composition has no out= form; its backward is torch autograd through its graph.
// 2. Gated (GLU) feed-forward activation on tokens x [a | b]: the fused gem::glu against the
//    unfused chain a user would write (activation(a) * b on the halves of one projection, its
//    backward by autograd through that graph), for E-GEM, and torch's GEGLU (gelu(a) * b) beside
//    them; forward and backward. Also "out": every output preallocated and pre-touched, the
//    fused kernel (gem::cpu::gated_*) against the unfused chain of out= ops (forward_out, mul_out,
//    backward_out; the two halves of grad_x kept apart, no concatenation): the kernels' speed
//    without the allocator's fresh pages.
// 3. Training step: a small CNN (2 conv + 2 fc on 28x28, batch 128, SGD) forward + backward +
//    step with ReLU, GELU, E-GEM, SE-GEM and E-GEM with a learnable eps (one per layer, or one per
//    channel of each layer).
// Each number is the median of --repeats timed calls after --warmup untimed ones, taken in rounds
// over all candidates (each round calls every candidate once) so they share the machine's state.
#include <ATen/Parallel.h>
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "gem/torch.h"
#include "gem/cpu/kernels.h"
#include "src/torch/flat_tensors.h"  // dispatch_storage, data<T>

namespace {

namespace ops = gem::torch_ext;

struct Options {
  std::vector<int> log2_sizes{22, 24};
  std::vector<std::string> dtypes{"float32", "bfloat16"};
  std::vector<int> threads{1, 2};
  int warmup = 3;
  int repeats = 15;
  int train_warmup = 3;
  int train_repeats = 15;
  int64_t gated_tokens = 4096, gated_width = 2048;  // GPT-2 small's gated width: 2/3 of 3072
  bool skip_elementwise = false;
  bool skip_gated = false;
  bool skip_training = false;
  bool json = false;
};

at::ScalarType dtype_of(const std::string& name) {
  if (name == "float32") return at::kFloat;
  if (name == "bfloat16") return at::kBFloat16;
  if (name == "float16") return at::kHalf;
  if (name == "float64") return at::kDouble;
  throw CLI::ValidationError("--dtypes", "unknown dtype '" + name + "' (float64, float32, float16, bfloat16)");
}

struct Row {
  std::string pass, op, mode, dtype;
  int64_t n;
  int threads;
  double seconds, gbps;
};

void print_row(const Row& r, bool json) {
  if (json) {
    std::printf("{\"pass\":\"%s\",\"op\":\"%s\",\"mode\":\"%s\",\"dtype\":\"%s\",\"n\":%lld,\"threads\":%d,"
                "\"ms\":%.4f,\"gbps\":%.2f}\n",
                r.pass.c_str(), r.op.c_str(), r.mode.c_str(), r.dtype.c_str(), static_cast<long long>(r.n),
                r.threads, r.seconds * 1e3, r.gbps);
  } else {
    std::printf("| %-8s | %-12s | %-5s | %-8s | 2^%-2d | %d | %9.3f | %6.1f |\n", r.pass.c_str(), r.op.c_str(),
                r.mode.c_str(), r.dtype.c_str(), static_cast<int>(std::log2(static_cast<double>(r.n))), r.threads,
                r.seconds * 1e3, r.gbps);
  }
  std::fflush(stdout);
}

/// The median seconds of each call, timed in rounds (each round calls every one once, so that
/// they share the state of the allocator, the caches and the machine fairly) after `warmup`
/// untimed rounds.
std::vector<double> medians_in_rounds(const std::vector<std::function<void()>>& calls, int warmup, int repeats) {
  std::vector<std::vector<double>> seconds(calls.size());
  for (int round = 0; round < warmup + repeats; ++round)
    for (size_t c = 0; c < calls.size(); ++c) {
      const auto start = std::chrono::steady_clock::now();
      calls[c]();
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (round >= warmup) seconds[c].push_back(s);
    }
  std::vector<double> median(calls.size());
  for (size_t c = 0; c < calls.size(); ++c) {
    std::sort(seconds[c].begin(), seconds[c].end());
    median[c] = seconds[c][seconds[c].size() / 2];
  }
  return median;
}

void run_elementwise(const Options& opt) {
  const gem::Params p = gem::make_egem(1, 1e-4);
  const double eps = p.eps;
  if (!opt.json) {
    std::printf("| pass     | op           | mode  | dtype    | n    | t | median ms | GB/s   |\n");
    std::printf("|----------|--------------|-------|----------|------|---|-----------|--------|\n");
  }
  for (int lg : opt.log2_sizes)
    for (const std::string& dname : opt.dtypes)
      for (int threads : opt.threads) {
        at::set_num_threads(threads);
        const int64_t n = int64_t(1) << lg;
        const at::ScalarType dt = dtype_of(dname);
        torch::manual_seed(0);
        const at::Tensor x = torch::randn({n}, torch::kFloat).to(dt);
        const at::Tensor go = torch::randn({n}, torch::kFloat).to(dt);
        at::Tensor out = torch::zeros({n}, dt);
        const double bytes_fwd = 2.0 * n * x.element_size(), bytes_bwd = 3.0 * n * x.element_size();
        struct Case {
          const char* pass;
          const char* op;
          const char* mode;
          std::function<void()> call;
        };
        std::vector<Case> cases;
        auto add = [&](const char* pass, const char* op, const char* mode, std::function<void()> call) {
          cases.push_back({pass, op, mode, std::move(call)});
        };
        // Forward
        add("forward", "egem", "alloc", [&] { ops::forward(x, p); });
        add("forward", "egem", "out", [&] { ops::forward_out(out, x, p); });
        add("forward", "relu", "alloc", [&] { torch::relu(x); });
        add("forward", "relu", "out", [&] { at::relu_out(out, x); });
        add("forward", "gelu", "alloc", [&] { torch::gelu(x); });
        add("forward", "gelu", "out", [&] { at::gelu_out(out, x); });
        add("forward", "silu", "alloc", [&] { torch::silu(x); });
        add("forward", "silu", "out", [&] { at::silu_out(out, x); });
        // E-GEM (N=1) from eager ops: relu(x) * (x^2 / (x^2 + eps)): five kernels.
        auto composed = [eps](const at::Tensor& v) {
          const at::Tensor xm = v * v;
          return torch::relu(v) * (xm / (xm + eps));
        };
        add("forward", "egem-eager", "alloc", [&] { composed(x); });
        // Backward: grad_in = grad_out * f'(x), with what autograd calls for each activation.
        const at::Tensor y_relu = torch::relu(x);
        add("backward", "egem", "alloc", [&] { ops::backward(go, x, p); });
        add("backward", "egem", "out", [&] { ops::backward_out(out, go, x, p); });
        add("backward", "relu", "alloc", [&] { at::threshold_backward(go, y_relu, 0); });
        add("backward", "relu", "out", [&] { at::threshold_backward_out(out, go, y_relu, 0); });
        add("backward", "gelu", "alloc", [&] { at::gelu_backward(go, x); });
        add("backward", "gelu", "out", [&] { at::gelu_backward_out(out, go, x); });
        add("backward", "silu", "alloc", [&] { at::silu_backward(go, x); });
        add("backward", "silu", "out", [&] { at::silu_backward_out(out, go, x); });
        const at::Tensor xr = x.detach().requires_grad_(true);
        const at::Tensor yr = composed(xr);  // its graph, kept for the timed backward calls
        add("backward", "egem-eager", "alloc", [&] {
          torch::AutoGradMode grad_on(true);
          torch::autograd::grad({yr}, {xr}, {go}, /*retain_graph=*/true);
        });
        torch::NoGradGuard no_grad;  // inference mode for all but the eager backward (which turns it on)
        std::vector<std::function<void()>> calls;
        for (const Case& c : cases) calls.push_back(c.call);
        const std::vector<double> median = medians_in_rounds(calls, opt.warmup, opt.repeats);
        for (size_t c = 0; c < cases.size(); ++c) {
          const double bytes = std::string(cases[c].pass) == "forward" ? bytes_fwd : bytes_bwd;
          print_row({cases[c].pass, cases[c].op, cases[c].mode, dname, n, threads, median[c], bytes / median[c] / 1e9},
                    opt.json);
        }
      }
}

void run_gated(const Options& opt) {
  const std::string spec = "egem:N=1,eps=1e-4";
  if (!opt.json) {
    std::printf(
        "\nGated activation f(a) * b on x = [a | b], %lld tokens x 2 x %lld (forward reads x, writes y; "
        "backward by autograd)\n",
        static_cast<long long>(opt.gated_tokens), static_cast<long long>(opt.gated_width));
    std::printf("| pass     | op                 | mode  | dtype    | t | median ms | unfused / this |\n");
    std::printf("|----------|--------------------|-------|----------|---|-----------|----------------|\n");
  }
  for (const std::string& dname : opt.dtypes)
    for (int threads : opt.threads) {
      at::set_num_threads(threads);
      const at::ScalarType dt = dtype_of(dname);
      torch::manual_seed(0);
      const at::Tensor x = torch::randn({opt.gated_tokens, 2 * opt.gated_width}, torch::kFloat).to(dt);
      const at::Tensor go = torch::randn({opt.gated_tokens, opt.gated_width}, torch::kFloat).to(dt);
      const auto unfused = [&spec](const at::Tensor& v) {
        const std::vector<at::Tensor> h = v.chunk(2, -1);
        return ops::activation(h[0], spec) * h[1];
      };
      const auto geglu = [](const at::Tensor& v) {
        const std::vector<at::Tensor> h = v.chunk(2, -1);
        return torch::gelu(h[0]) * h[1];
      };
      const auto fused = [&spec](const at::Tensor& v) { return ops::glu(v, spec); };
      // Graphs built once and kept for the timed backward calls.
      const at::Tensor xr = x.detach().requires_grad_(true);
      const at::Tensor y_fused = fused(xr), y_unfused = unfused(xr), y_geglu = geglu(xr);
      const auto grad_of = [&](const at::Tensor& y) {
        return [&, y] {
          torch::AutoGradMode grad_on(true);
          torch::autograd::grad({y}, {xr}, {go}, /*retain_graph=*/true);
        };
      };
      // Preallocated, pre-touched buffers for the out= forms.
      const gem::Params p = gem::make_egem(1, 1e-4);
      const std::vector<at::Tensor> halves = x.chunk(2, -1);
      const at::Tensor &a = halves[0], &b = halves[1];
      at::Tensor y = torch::zeros_like(go), h = torch::zeros_like(go), t = torch::zeros_like(go);
      at::Tensor ga = torch::zeros_like(go), gb = torch::zeros_like(go), gx = torch::zeros_like(x);
      const auto fused_kernel = [&](bool backward) {
        const auto rows = static_cast<std::size_t>(opt.gated_tokens), C = static_cast<std::size_t>(opt.gated_width);
        gem::torch_ext::dispatch_storage(dt, [&](auto tag) {
          using T = decltype(tag);
          using gem::torch_ext::data;
          if (backward)
            gem::cpu::gated_backward<T>(p, data<T>(go), data<T>(x), data<T>(gx), rows, C, threads);
          else
            gem::cpu::gated_forward<T>(p, data<T>(x), data<T>(y), rows, C, threads);
        });
      };
      struct Case {
        const char* pass;
        const char* op;
        const char* mode;
        std::function<void()> call;
        int baseline;  // index of the unfused case this one is compared with (-1: none)
      };
      const std::vector<Case> cases{
          {"forward", "egem unfused", "alloc",
           [&] {
             torch::NoGradGuard g;
             unfused(x);
           },
           -1},
          {"forward", "egem fused (glu)", "alloc",
           [&] {
             torch::NoGradGuard g;
             fused(x);
           },
           0},
          {"forward", "gelu unfused", "alloc",
           [&] {
             torch::NoGradGuard g;
             geglu(x);
           },
           -1},
          {"forward", "egem unfused", "out",
           [&] {
             ops::forward_out(h, a, p);
             at::mul_out(y, h, b);
           },
           -1},
          {"forward", "egem fused (glu)", "out", [&] { fused_kernel(false); }, 3},
          {"forward", "gelu unfused", "out",
           [&] {
             at::gelu_out(h, a);
             at::mul_out(y, h, b);
           },
           -1},
          {"backward", "egem unfused", "alloc", grad_of(y_unfused), -1},
          {"backward", "egem fused (glu)", "alloc", grad_of(y_fused), 6},
          {"backward", "gelu unfused", "alloc", grad_of(y_geglu), -1},
          {"backward", "egem unfused", "out",
           [&] {
             at::mul_out(t, go, b);  // grad_out * b, then grad_a = that * f'(a)
             ops::backward_out(ga, t, a, p);
             ops::forward_out(h, a, p);  // f(a) recomputed: autograd would keep it, at the memory's cost
             at::mul_out(gb, go, h);
           },
           -1},
          {"backward", "egem fused (glu)", "out", [&] { fused_kernel(true); }, 9},
      };
      std::vector<std::function<void()>> calls;
      for (const Case& c : cases) calls.push_back(c.call);
      const std::vector<double> median = medians_in_rounds(calls, opt.warmup, opt.repeats);
      for (size_t c = 0; c < cases.size(); ++c) {
        const double speedup = cases[c].baseline >= 0 ? median[cases[c].baseline] / median[c] : 1.0;
        if (opt.json) {
          std::printf(
              "{\"pass\":\"gated_%s\",\"op\":\"%s\",\"mode\":\"%s\",\"dtype\":\"%s\",\"tokens\":%lld,"
              "\"width\":%lld,\"threads\":%d,\"ms\":%.4f,\"speedup\":%.3f}\n",
              cases[c].pass, cases[c].op, cases[c].mode, dname.c_str(), static_cast<long long>(opt.gated_tokens),
              static_cast<long long>(opt.gated_width), threads, median[c] * 1e3, speedup);
        } else {
          char ratio[32] = "";
          if (cases[c].baseline >= 0) std::snprintf(ratio, sizeof ratio, "%.2fx", speedup);
          std::printf("| %-8s | %-18s | %-5s | %-8s | %d | %9.3f | %14s |\n", cases[c].pass, cases[c].op, cases[c].mode,
                      dname.c_str(), threads, median[c] * 1e3, ratio);
        }
        std::fflush(stdout);
      }
    }
}

// 2 conv + 2 fc for 28x28 inputs, an activation module of its own after each but the last layer
// (made for that layer's channels: 16, 32, 128).
using ActivationFactory = std::function<torch::nn::AnyModule(int64_t channels)>;

struct SmallCnnImpl : torch::nn::Module {
  explicit SmallCnnImpl(const ActivationFactory& activation)
      : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 16, 3).padding(1)))),
        conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 3).padding(1)))),
        fc1(register_module("fc1", torch::nn::Linear(32 * 7 * 7, 128))),
        fc2(register_module("fc2", torch::nn::Linear(128, 10))),
        act1(activation(16)),
        act2(activation(32)),
        act3(activation(128)) {
    register_module("act1", act1.ptr());
    register_module("act2", act2.ptr());
    register_module("act3", act3.ptr());
  }
  at::Tensor forward(at::Tensor x) {
    x = torch::max_pool2d(act1.forward(conv1->forward(x)), 2);
    x = torch::max_pool2d(act2.forward(conv2->forward(x)), 2);
    x = act3.forward(fc1->forward(x.flatten(1)));
    return fc2->forward(x);
  }
  torch::nn::Conv2d conv1, conv2;
  torch::nn::Linear fc1, fc2;
  torch::nn::AnyModule act1, act2, act3;
};
TORCH_MODULE(SmallCnn);

void run_training(const Options& opt) {
  if (!opt.json) {
    std::printf("\nTraining step: CNN 2 conv + 2 fc, 28x28x1, batch 128, SGD (forward + backward + step)\n");
    std::printf("| activation           | t | median ms | vs relu |\n");
    std::printf("|----------------------|---|-----------|---------|\n");
  }
  const std::vector<std::string> specs{
      "relu", "gelu", "egem:N=1,eps=1e-4", "segem:N=1,eps=1e-4", "egem learnable eps", "egem eps per channel"};
  auto factory = [](const std::string& spec) -> ActivationFactory {
    return [spec](int64_t channels) {
      auto learnable = ops::EGEMOptions(1, 1e-4).learnable_eps(true);
      if (spec == "egem learnable eps") return torch::nn::AnyModule(ops::EGEM(learnable));
      if (spec == "egem eps per channel") return torch::nn::AnyModule(ops::EGEM(learnable.num_parameters(channels)));
      return torch::nn::AnyModule(ops::Activation(spec));
    };
  };
  for (int threads : opt.threads) {
    at::set_num_threads(threads);
    struct Trainer {
      SmallCnn model;
      torch::optim::SGD sgd;
    };
    std::vector<Trainer> trainers;
    for (const std::string& spec : specs) {
      torch::manual_seed(0);
      SmallCnn model(factory(spec));
      trainers.push_back({model, torch::optim::SGD(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9))});
    }
    torch::manual_seed(1);
    const at::Tensor images = torch::randn({128, 1, 28, 28});
    const at::Tensor labels = torch::randint(0, 10, {128}, torch::kLong);
    std::vector<std::function<void()>> steps;
    for (Trainer& t : trainers)
      steps.push_back([&t, &images, &labels] {
        t.sgd.zero_grad();
        torch::nn::functional::cross_entropy(t.model->forward(images), labels).backward();
        t.sgd.step();
      });
    const std::vector<double> median = medians_in_rounds(steps, opt.train_warmup, opt.train_repeats);
    for (size_t k = 0; k < specs.size(); ++k) {
      if (opt.json) {
        std::printf("{\"pass\":\"train_step\",\"activation\":\"%s\",\"threads\":%d,\"ms\":%.4f,\"vs_relu\":%.4f}\n",
                    specs[k].c_str(), threads, median[k] * 1e3, median[k] / median[0]);
      } else {
        std::printf("| %-20s | %d | %9.3f | %7.3f |\n", specs[k].c_str(), threads, median[k] * 1e3,
                    median[k] / median[0]);
      }
      std::fflush(stdout);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"gem-torch-bench: gem operators vs torch's activations on CPU (LibTorch)"};
  app.add_option("--log2-sizes", opt.log2_sizes, "Elements per tensor as powers of two")->capture_default_str();
  app.add_option("--dtypes", opt.dtypes, "float32, bfloat16, float16, float64")->capture_default_str();
  app.add_option("--threads", opt.threads, "Thread counts (at::set_num_threads)")->capture_default_str();
  app.add_option("--warmup", opt.warmup, "Untimed calls before timing")->capture_default_str();
  app.add_option("--repeats", opt.repeats, "Timed calls; the median is reported")->capture_default_str();
  app.add_option("--train-warmup", opt.train_warmup, "Untimed training steps")->capture_default_str();
  app.add_option("--train-repeats", opt.train_repeats, "Timed training steps")->capture_default_str();
  app.add_option("--gated-tokens", opt.gated_tokens, "Rows of the gated benchmark")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--gated-width", opt.gated_width, "Hidden width of the gated benchmark (x is 2x as wide)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--skip-elementwise", opt.skip_elementwise, "Skip the elementwise ops");
  app.add_flag("--skip-gated", opt.skip_gated, "Skip the gated (GLU) activation");
  app.add_flag("--skip-training", opt.skip_training, "Skip the training step");
  app.add_flag("--json", opt.json, "One JSON object per line instead of tables");
  CLI11_PARSE(app, argc, argv);
  if (opt.repeats < 1 || opt.train_repeats < 1) {
    std::cerr << "--repeats and --train-repeats must be >= 1\n";
    return 2;
  }
  for (const auto& d : opt.dtypes) dtype_of(d);

  if (!opt.json) {
    std::printf("gem-torch-bench: LibTorch %s, gem::cpu SIMD target %s\n", TORCH_VERSION, gem::cpu::simd_target());
    std::printf("E-GEM N=1 eps=1e-4; GB/s counts bytes read + written; median of %d after %d warm-up\n",
                opt.repeats, opt.warmup);
    // Other processes on the cores distort the timings: say how busy the machine was.
    if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
      char line[128] = {0};
      if (std::fgets(line, sizeof line, f)) std::printf("load average at start: %s", line);
      std::fclose(f);
    }
    std::printf("\n");
  }
  if (!opt.skip_elementwise) run_elementwise(opt);
  if (!opt.skip_gated) run_gated(opt);
  if (!opt.skip_training) run_training(opt);
  return 0;
}
