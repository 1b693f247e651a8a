// gem::torch from an installed GEM: the operators by spec string, the module, and a third
// derivative through autograd, checked against the k-th derivative operator.
#include <torch/torch.h>

#include <cstdio>

#include "gem/torch/functional.h"
#include "gem/torch/modules.h"

int main() {
  const auto x = torch::linspace(-2.0, 3.0, 11, torch::kFloat64).requires_grad_(true);
  const auto y = gem::torch_ext::activation(x, "egem:N=2,eps=1e-4");
  auto g = x;
  auto d = y.sum();
  for (int k = 1; k <= 3; ++k) {
    g = torch::autograd::grad({d}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
    d = g.sum();
  }
  const auto want = gem::torch_ext::derivative(x.detach(), "egem:N=2,eps=1e-4", 3);
  if (!torch::allclose(g, want, 1e-12, 1e-12)) {
    std::printf("third derivative by autograd differs from derivative(x, spec, 3)\n");
    return 1;
  }
  gem::torch_ext::EGEM module(gem::torch_ext::EGEMOptions(2, 1e-4));
  if (!torch::equal(module->forward(x.detach()), y.detach())) return 1;
  std::printf("gem::torch works from an installed package: f'''(3) = %.17g\n", want[10].item<double>());
  return 0;
}
