// A C++ equivalent of torch.autograd.gradcheck: the full Jacobian of fn at `inputs` from
// backpropagation (one backward per output element) against central differences (two
// evaluations per input element), for every input that requires grad. Second order is the same
// check applied to a function that returns gradients computed with create_graph = true (what
// gradgradcheck does).
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <sstream>
#include <vector>

namespace gem::testing {

using TensorFn = std::function<std::vector<at::Tensor>(const std::vector<at::Tensor>&)>;

struct GradcheckTolerance {
  double step = 1e-6;  // central-difference step
  double atol = 1e-5;
  double rtol = 1e-3;
};

inline ::testing::AssertionResult gradcheck(const TensorFn& fn, const std::vector<at::Tensor>& inputs,
                                            GradcheckTolerance tol = {}) {
  std::vector<at::Tensor> wrt;
  std::vector<size_t> wrt_index;
  for (size_t k = 0; k < inputs.size(); ++k)
    if (inputs[k].requires_grad()) wrt.push_back(inputs[k]), wrt_index.push_back(k);
  if (wrt.empty()) return ::testing::AssertionFailure() << "no input requires grad";

  const std::vector<at::Tensor> outputs = fn(inputs);
  int64_t n_out = 0;
  for (const auto& o : outputs) n_out += o.numel();

  // analytic[k][i * n_out + j] = d out_j / d in_k[i]
  std::vector<std::vector<double>> analytic(wrt.size());
  for (size_t k = 0; k < wrt.size(); ++k) analytic[k].assign(wrt[k].numel() * n_out, 0.0);
  int64_t j0 = 0;
  for (size_t o = 0; o < outputs.size(); ++o) {
    for (int64_t j = 0; j < outputs[o].numel(); ++j) {
      std::vector<at::Tensor> grad_outputs;
      for (size_t p = 0; p < outputs.size(); ++p) {
        at::Tensor g = torch::zeros_like(outputs[p]);
        if (p == o) g.view(-1)[j] = 1.0;
        grad_outputs.push_back(g);
      }
      std::vector<at::Tensor> live_outputs, live_grads;
      for (size_t p = 0; p < outputs.size(); ++p)
        if (outputs[p].requires_grad()) live_outputs.push_back(outputs[p]), live_grads.push_back(grad_outputs[p]);
      if (live_outputs.empty()) continue;
      const auto grads = torch::autograd::grad(live_outputs, wrt, live_grads, /*retain_graph=*/true,
                                               /*create_graph=*/false, /*allow_unused=*/true);
      for (size_t k = 0; k < wrt.size(); ++k) {
        if (!grads[k].defined()) continue;
        const at::Tensor gk = grads[k].reshape(-1).to(at::kDouble);
        for (int64_t i = 0; i < gk.numel(); ++i) analytic[k][i * n_out + j0 + j] = gk[i].item<double>();
      }
    }
    j0 += outputs[o].numel();
  }

  // Numerical columns by central differences.
  std::ostringstream failures;
  int n_fail = 0;
  for (size_t k = 0; k < wrt.size(); ++k) {
    for (int64_t i = 0; i < wrt[k].numel(); ++i) {
      auto evaluate = [&](double delta) {
        std::vector<at::Tensor> shifted;
        for (size_t p = 0; p < inputs.size(); ++p) {
          at::Tensor t = inputs[p].detach().clone();
          if (p == wrt_index[k]) t.view(-1)[i] += delta;
          shifted.push_back(t.set_requires_grad(inputs[p].requires_grad()));
        }
        std::vector<double> flat;
        for (const auto& o : fn(shifted)) {
          const at::Tensor f = o.detach().reshape(-1).to(at::kDouble);
          for (int64_t j = 0; j < f.numel(); ++j) flat.push_back(f[j].item<double>());
        }
        return flat;
      };
      const std::vector<double> hi = evaluate(tol.step), lo = evaluate(-tol.step);
      for (int64_t j = 0; j < n_out; ++j) {
        const double numeric = (hi[j] - lo[j]) / (2 * tol.step);
        const double a = analytic[k][i * n_out + j];
        if (!(std::fabs(a - numeric) <= tol.atol + tol.rtol * std::fabs(numeric))) {
          if (n_fail++ < 8)
            failures << "\n  d out[" << j << "] / d input" << wrt_index[k] << "[" << i
                     << "] (input value " << wrt[k].reshape(-1)[i].item<double>() << "): analytic " << a
                     << ", numerical " << numeric;
        }
      }
    }
  }
  if (n_fail) return ::testing::AssertionFailure() << n_fail << " Jacobian entries differ:" << failures.str();
  return ::testing::AssertionSuccess();
}

/// fn's gradients as a function: for outputs y = fn(inputs[0..n_primal)) and grad_outputs
/// inputs[n_primal..), returns d(sum grad_out * y)/d(primal inputs that require grad), built with
/// create_graph so that gradcheck of it checks second order.
inline TensorFn gradients_of(const TensorFn& fn, size_t n_primal) {
  return [fn, n_primal](const std::vector<at::Tensor>& all) {
    const std::vector<at::Tensor> primal(all.begin(), all.begin() + n_primal);
    const std::vector<at::Tensor> grad_outputs(all.begin() + n_primal, all.end());
    std::vector<at::Tensor> wrt;
    for (const auto& p : primal)
      if (p.requires_grad()) wrt.push_back(p);
    const auto outputs = fn(primal);
    auto grads = torch::autograd::grad(outputs, wrt, grad_outputs, /*retain_graph=*/true, /*create_graph=*/true,
                                       /*allow_unused=*/true);
    for (size_t k = 0; k < grads.size(); ++k)
      if (!grads[k].defined()) grads[k] = torch::zeros_like(wrt[k]);
    return grads;
  };
}

}  // namespace gem::testing
