// Autograd of the gem operators in float64: first order (gradcheck) and second order (gradcheck
// of the gradients built with create_graph), for every variant and N = 1..4, at inputs on both
// sides of 0, at 0 itself, around the scale s = eps^(1/2N) and at large magnitudes; the same
// with eps as a tensor (learnable), orders beyond the second through gem::derivative, and the
// refusal of a third order with a learnable eps.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "gem/torch.h"
#include "torch/gradcheck.h"

namespace gem {
namespace {

namespace ops = gem::torch_ext;
using testing::gradcheck;
using testing::GradcheckTolerance;
using testing::gradients_of;

// Points that matter for (N, eps): 0, tiny, around the scale s and the dip/inflection, large.
at::Tensor probe_points(int N, double eps) {
  const double s = std::pow(eps, 1.0 / (2 * N));
  std::vector<double> v = {0.0, 1e-3 * s, -1e-3 * s, 0.3 * s, -0.3 * s, 0.8 * s, -0.8 * s, s, -s,
                           1.7 * s, -1.7 * s, 4 * s, -4 * s, 30.0, -30.0, 1000.0, -1000.0};
  return torch::tensor(v, torch::kDouble);
}

// eps per variant: small enough to be sharp, large enough that central differences resolve the
// jump of the (2N+1)-th derivative at 0 (it is (2N+1)!/eps).
struct Case {
  Variant variant;
  double eps;
};
const Case kCases[] = {{Variant::gem, 1.0}, {Variant::egem, 0.05}, {Variant::segem, 0.2}};

// Central differences of f' across 0 err by about step * jump(f''')/4 = step * 6/eps for N = 1.
const GradcheckTolerance kSecondOrder{1e-7, 1e-5, 1e-3};

TEST(TorchAutograd, FirstOrderAllVariants) {
  for (const Case& c : kCases)
    for (int N = 1; N <= 4; ++N) {
      const Params p{c.variant, N, c.eps};
      const at::Tensor x = probe_points(N, c.eps).requires_grad_(true);
      auto fn = [p](const std::vector<at::Tensor>& in) { return std::vector<at::Tensor>{ops::forward(in[0], p)}; };
      EXPECT_TRUE(gradcheck(fn, {x})) << variant_name(c.variant) << " N=" << N;
    }
}

TEST(TorchAutograd, SecondOrderAllVariants) {
  torch::manual_seed(5);
  for (const Case& c : kCases)
    for (int N = 1; N <= 4; ++N) {
      const Params p{c.variant, N, c.eps};
      const at::Tensor x = probe_points(N, c.eps).requires_grad_(true);
      const at::Tensor go = torch::randn_like(x).requires_grad_(true);
      auto fn = [p](const std::vector<at::Tensor>& in) { return std::vector<at::Tensor>{ops::forward(in[0], p)}; };
      EXPECT_TRUE(gradcheck(gradients_of(fn, 1), {x, go}, kSecondOrder)) << variant_name(c.variant) << " N=" << N;
    }
}

// The backward op is differentiable on its own (its node calls backward and backward_grad2).
TEST(TorchAutograd, BackwardOpHasItsOwnGradient) {
  torch::manual_seed(6);
  const Params p = make_egem(2, 0.1);
  const at::Tensor x = probe_points(2, 0.1).requires_grad_(true);
  const at::Tensor go = torch::randn_like(x).requires_grad_(true);
  auto fn = [p](const std::vector<at::Tensor>& in) { return std::vector<at::Tensor>{ops::backward(in[0], in[1], p)}; };
  EXPECT_TRUE(gradcheck(fn, {go, x}, kSecondOrder));
  // and backward_grad2 in its grad argument (linear)
  auto fn2 = [p](const std::vector<at::Tensor>& in) {
    return std::vector<at::Tensor>{ops::backward_grad2(in[0], in[1], p)};
  };
  EXPECT_TRUE(gradcheck(fn2, {go, x.detach()}));
}

TEST(TorchAutograd, SpecOverloadIsDifferentiable) {
  const at::Tensor x = probe_points(1, 0.05).requires_grad_(true);
  auto fn = [](const std::vector<at::Tensor>& in) {
    return std::vector<at::Tensor>{ops::forward(in[0], std::string("segem:N=1,eps=0.05"))};
  };
  EXPECT_TRUE(gradcheck(fn, {x}));
}

// ---- eps as a tensor --------------------------------------------------------------------------------

TEST(TorchAutograd, FirstOrderInXAndEps) {
  for (Variant v : {Variant::egem, Variant::segem})
    for (int N = 1; N <= 4; ++N)
      for (double eps0 : {0.05, 2.0}) {
        const at::Tensor x = probe_points(N, eps0).requires_grad_(true);
        const at::Tensor eps = torch::tensor(eps0, torch::kDouble).requires_grad_(true);
        auto fn = [v, N](const std::vector<at::Tensor>& in) {
          return std::vector<at::Tensor>{ops::forward_eps_tensor(in[0], v, N, in[1])};
        };
        EXPECT_TRUE(gradcheck(fn, {x, eps})) << variant_name(v) << " N=" << N << " eps=" << eps0;
      }
}

TEST(TorchAutograd, SecondOrderInXAndEps) {
  torch::manual_seed(7);
  for (Variant v : {Variant::egem, Variant::segem})
    for (int N = 1; N <= 4; ++N) {
      const double eps0 = 0.05;
      const at::Tensor x = probe_points(N, eps0).requires_grad_(true);
      const at::Tensor eps = torch::tensor(eps0, torch::kDouble).requires_grad_(true);
      const at::Tensor go = torch::randn_like(x).requires_grad_(true);
      auto fn = [v, N](const std::vector<at::Tensor>& in) {
        return std::vector<at::Tensor>{ops::forward_eps_tensor(in[0], v, N, in[1])};
      };
      EXPECT_TRUE(gradcheck(gradients_of(fn, 2), {x, eps, go}, kSecondOrder)) << variant_name(v) << " N=" << N;
    }
}

// The eps gradient of a one-element eps keeps eps's shape and dtype; with a float32 x it is
// accumulated in at least float.
TEST(TorchAutograd, EpsGradientShapeAndDtype) {
  const at::Tensor x = torch::linspace(-2, 2, 64, torch::kBFloat16);
  const at::Tensor eps = torch::full({1}, 0.1, torch::kFloat).requires_grad_(true);
  const at::Tensor y = ops::forward_eps_tensor(x, Variant::segem, 1, eps);
  const at::Tensor g = torch::autograd::grad({y.sum()}, {eps})[0];
  EXPECT_EQ(g.sizes(), eps.sizes());
  EXPECT_EQ(g.scalar_type(), at::kFloat);
  // Against the float64 value: sum over x of dSE/deps.
  const at::Tensor eps64 = torch::full({1}, 0.1f, torch::kDouble).requires_grad_(true);
  const at::Tensor y64 = ops::forward_eps_tensor(x.to(at::kDouble), Variant::segem, 1, eps64);
  const at::Tensor g64 = torch::autograd::grad({y64.sum()}, {eps64})[0];
  EXPECT_NEAR(g.item<double>(), g64.item<double>(), 1e-2 * std::fabs(g64.item<double>()));
}

// ---- Any order with a fixed eps; a learnable eps stops at the second, with a message ------------

TEST(TorchAutograd, HigherOrdersAreTheDerivativeOp) {
  const Params p = make_egem(2, 0.1);
  const at::Tensor x = torch::linspace(-1, 2, 7, torch::kDouble).requires_grad_(true);
  at::Tensor g = ops::forward(x, p);
  for (int k = 1; k <= 5; ++k) {
    g = torch::autograd::grad({g.sum()}, {x}, {}, true, true)[0];
    EXPECT_TRUE(torch::allclose(g, ops::derivative(x.detach(), p, k), 1e-12, 0)) << "order " << k;
  }
  EXPECT_TRUE(torch::equal(ops::derivative(x.detach(), "egem:N=2,eps=0.1", 4), ops::derivative(x.detach(), p, 4)));
}

TEST(TorchAutograd, ThirdOrderWithALearnableEpsIsRefusedWithAMessage) {
  const at::Tensor x = torch::linspace(-1, 1, 5, torch::kDouble).requires_grad_(true);
  const at::Tensor eps = torch::full({}, 0.1, torch::kDouble).requires_grad_(true);
  const at::Tensor y = ops::forward_eps_tensor(x, Variant::egem, 1, eps).sum();
  const at::Tensor g1 = torch::autograd::grad({y}, {x}, {}, true, true)[0];
  const at::Tensor g2 = torch::autograd::grad({g1.sum()}, {x}, {}, true, true)[0];
  try {
    torch::autograd::grad({g2.sum()}, {x});
    ADD_FAILURE() << "third order did not throw";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what_without_backtrace(), ::testing::HasSubstr("third-order derivative of an activation with a "
                                                                 "learnable eps"));
  }
}

}  // namespace
}  // namespace gem
