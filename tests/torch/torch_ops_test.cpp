// The gem operators on CPU: golden values through the ops (float64, float32), every dtype bit
// for bit against the gem::cpu kernels called directly, any strides, empty tensors, out=
// variants, the spec overloads and gem::activation, the same op composed from torch ops, and
// the error messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "common/golden.h"
#include "gem/spec.h"
#include "gem/torch.h"
#include "gem/cpu/kernels.h"
#include "common/error_of.h"

namespace gem {
namespace {

using testing::error_of;

namespace ops = gem::torch_ext;
using testing::GoldenRow;

// ---- Golden values through the ops ---------------------------------------------------------------

template <class W>
void check_golden_through_ops(at::ScalarType dtype) {
  // Group rows by (variant, N, eps): one op call per group.
  std::map<std::tuple<int, int, double>, std::vector<GoldenRow>> groups;
  for (const GoldenRow& g : testing::load_golden()) {
    if (dtype == at::kFloat && static_cast<double>(static_cast<float>(g.x)) != g.x) continue;
    groups[{static_cast<int>(g.variant), g.N, g.eps}].push_back(g);
  }
  int checked = 0;
  for (const auto& [key, rows] : groups) {
    const Params p{static_cast<Variant>(std::get<0>(key)), std::get<1>(key), std::get<2>(key)};
    std::vector<double> xs;
    for (const auto& g : rows) xs.push_back(g.x);
    const at::Tensor x = torch::tensor(xs, torch::kDouble).to(dtype);
    const at::Tensor ones = torch::ones_like(x);
    const at::Tensor f = ops::forward(x, p).to(at::kDouble);
    const at::Tensor df = ops::backward(ones, x, p).to(at::kDouble);
    const at::Tensor d2f = ops::backward_grad2(ones, x, p).to(at::kDouble);
    for (size_t i = 0; i < rows.size(); ++i) {
      const GoldenRow& g = rows[i];
      const double got[3] = {f[i].item<double>(), df[i].item<double>(), d2f[i].item<double>()};
      const double exact[3] = {g.f, g.df, g.d2f};
      for (int which = 0; which < 3; ++which) {
        const double M = testing::cancel_magnitude(g.variant, g.N, g.eps, g.x, which, exact[which]);
        const double ulps = testing::error_ulps<W>(got[which], exact[which], M);
        EXPECT_LE(ulps, testing::bound_ulps(g.N, which))
            << "which=" << which << " " << variant_name(g.variant) << " N=" << g.N << " eps=" << g.eps
            << " x=" << g.x << " got " << got[which] << " expected " << exact[which];
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, dtype == at::kDouble ? 5000 : 4000);
}

TEST(TorchOps, GoldenValuesFloat64) { check_golden_through_ops<double>(at::kDouble); }
TEST(TorchOps, GoldenValuesFloat32) { check_golden_through_ops<float>(at::kFloat); }

// ---- Every dtype: the op is exactly the kernel ------------------------------------------------------

template <class T>
void expect_same_as_kernels(at::ScalarType dtype, const Params& p) {
  const at::Tensor x = (torch::randn({1031}, torch::kDouble) * 4).to(dtype);
  const at::Tensor go = torch::randn({1031}, torch::kDouble).to(dtype);
  const auto n = static_cast<size_t>(x.numel());
  auto ptr = [](const at::Tensor& t) { return reinterpret_cast<const T*>(t.data_ptr()); };
  at::Tensor y = torch::empty_like(x), gi = torch::empty_like(x), g2 = torch::empty_like(x);
  cpu::forward<T>(p, ptr(x), reinterpret_cast<T*>(y.data_ptr()), n);
  cpu::backward<T>(p, ptr(go), ptr(x), reinterpret_cast<T*>(gi.data_ptr()), n);
  cpu::backward_grad2<T>(p, ptr(go), ptr(x), reinterpret_cast<T*>(g2.data_ptr()), n);
  EXPECT_TRUE(torch::equal(ops::forward(x, p), y)) << dtype;
  EXPECT_TRUE(torch::equal(ops::backward(go, x, p), gi)) << dtype;
  EXPECT_TRUE(torch::equal(ops::backward_grad2(go, x, p), g2)) << dtype;
  EXPECT_EQ(ops::forward(x, p).scalar_type(), dtype);
}

TEST(TorchOps, EveryDtypeCallsTheKernels) {
  torch::manual_seed(1);
  for (const Params& p : {make_gem(2), make_egem(1, 1e-4), make_segem(3, 0.25)}) {
    expect_same_as_kernels<double>(at::kDouble, p);
    expect_same_as_kernels<float>(at::kFloat, p);
    expect_same_as_kernels<gem::half>(at::kHalf, p);
    expect_same_as_kernels<gem::bfloat16>(at::kBFloat16, p);
  }
}

// The same E-GEM and SE-GEM composed from eager torch ops (fine in float64 at moderate x).
TEST(TorchOps, AgreesWithCompositionOfTorchOps) {
  torch::manual_seed(2);
  const at::Tensor x = torch::randn({4000}, torch::kDouble) * 2;
  for (int N = 1; N <= 4; ++N)
    for (double eps : {1e-4, 0.3, 1.0}) {
      const at::Tensor xm = x.pow(2 * N);
      const at::Tensor e = torch::where(x > 0, x * xm / (eps + xm), torch::zeros_like(x));
      const at::Tensor se = torch::where(x >= 0, x, x * eps / (eps + xm));
      EXPECT_TRUE(torch::allclose(ops::forward(x, make_egem(N, eps)), e, 1e-13, 1e-300));
      EXPECT_TRUE(torch::allclose(ops::forward(x, make_segem(N, eps)), se, 1e-13, 1e-300));
      // Backward against torch's own autograd of the composition.
      const at::Tensor xr = x.clone().requires_grad_(true);
      const at::Tensor xmr = xr.pow(2 * N);
      const at::Tensor er = torch::where(xr > 0, xr * xmr / (eps + xmr), torch::zeros_like(xr));
      const at::Tensor go = torch::randn_like(x);
      const at::Tensor want = torch::autograd::grad({er}, {xr}, {go})[0];
      EXPECT_TRUE(torch::allclose(ops::backward(go, x, make_egem(N, eps)), want, 1e-12, 1e-300));
    }
}

// ---- Shapes and strides ---------------------------------------------------------------------------

TEST(TorchOps, AnyStridesGiveTheContiguousResult) {
  torch::manual_seed(3);
  const Params p = make_egem(2, 1e-2);
  const at::Tensor base = torch::randn({6, 8, 5, 4}, torch::kFloat);
  const std::vector<at::Tensor> views = {
      base.transpose(0, 3),                                   // permuted, dense
      base.slice(1, 0, 8, 3),                                 // strided, not dense
      base.contiguous(at::MemoryFormat::ChannelsLast),        // channels last
      base.select(2, 1).select(0, 2).t(),                     // 2-D transposed
      base[0][0][0].expand({7, 4}),                           // overlapping (stride 0)
      base.reshape({-1}).slice(0, 1, 960, 7),                 // offset and step
  };
  for (const at::Tensor& x : views) {
    const at::Tensor go = torch::randn(x.sizes(), torch::kFloat);
    const at::Tensor y = ops::forward(x, p);
    ASSERT_EQ(y.sizes(), x.sizes());
    EXPECT_TRUE(torch::equal(y, ops::forward(x.contiguous(), p)));
    EXPECT_TRUE(torch::equal(ops::backward(go, x, p), ops::backward(go.contiguous(), x.contiguous(), p)));
    // grad_out with a layout other than x's
    if (x.dim() == 2) {
      const at::Tensor go_t = go.t().contiguous().t();
      EXPECT_TRUE(torch::equal(ops::backward(go_t, x, p), ops::backward(go.contiguous(), x.contiguous(), p)));
    }
  }
  // Channels-last in, channels-last out (no copy of the layout away).
  const at::Tensor cl = base.contiguous(at::MemoryFormat::ChannelsLast);
  EXPECT_TRUE(ops::forward(cl, p).is_contiguous(at::MemoryFormat::ChannelsLast));
}

TEST(TorchOps, EmptyTensors) {
  const Params p = make_segem(1, 1e-4);
  for (const auto& shape : std::vector<std::vector<int64_t>>{{0}, {3, 0, 2}}) {
    const at::Tensor x = torch::empty(shape, torch::kFloat);
    EXPECT_EQ(ops::forward(x, p).sizes(), x.sizes());
    EXPECT_EQ(ops::backward(x, x, p).sizes(), x.sizes());
    EXPECT_EQ(ops::backward_grad2(x, x, p).sizes(), x.sizes());
    const at::Tensor eps = torch::tensor(1e-4);
    EXPECT_EQ(ops::forward_eps_tensor(x, Variant::segem, 1, eps).sizes(), x.sizes());
    EXPECT_EQ(ops::eps_partial(x, Variant::segem, 1, eps, gem::Quantity::df_deps).sizes(), x.sizes());
  }
}

TEST(TorchOps, ZeroDimTensor) {
  const at::Tensor x = torch::tensor(2.0, torch::kDouble);
  const at::Tensor y = ops::forward(x, make_gem(1));
  EXPECT_EQ(y.dim(), 0);
  EXPECT_DOUBLE_EQ(y.item<double>(), 8.0 / 5.0);  // 2^3 / (1 + 2^2)
}

// ---- out= variants --------------------------------------------------------------------------------

TEST(TorchOps, OutVariantsWriteInPlace) {
  torch::manual_seed(4);
  const Params p = make_egem(1, 1e-4);
  const at::Tensor x = torch::randn({257}, torch::kFloat), go = torch::randn({257}, torch::kFloat);
  at::Tensor out = torch::full({257}, NAN, torch::kFloat);
  const void* where = out.data_ptr();
  ops::forward_out(out, x, p);
  EXPECT_EQ(out.data_ptr(), where);
  EXPECT_TRUE(torch::equal(out, ops::forward(x, p)));
  at::Tensor gi = torch::empty({0}, torch::kFloat);  // resized like torch's out= functions
  ops::backward_out(gi, go, x, p);
  EXPECT_TRUE(torch::equal(gi, ops::backward(go, x, p)));
  // Non-contiguous out: written through a temporary.
  at::Tensor wide = torch::zeros({257, 2}, torch::kFloat);
  at::Tensor column = wide.select(1, 1);
  ops::forward_out(column, x, p);
  EXPECT_TRUE(torch::equal(wide.select(1, 1), ops::forward(x, p)));
  EXPECT_TRUE(torch::equal(wide.select(1, 0), torch::zeros({257})));
  // In place: out is x.
  at::Tensor inplace = x.clone();
  ops::forward_out(inplace, inplace, p);
  EXPECT_TRUE(torch::equal(inplace, ops::forward(x, p)));
}

// ---- Spec overloads and gem::activation -----------------------------------------------------------

TEST(TorchOps, SpecOverloadsMatchExplicitParameters) {
  const at::Tensor x = torch::linspace(-3, 3, 101, torch::kDouble);
  const at::Tensor go = torch::cos(x);
  EXPECT_TRUE(torch::equal(ops::forward(x, std::string("egem:N=2,eps=1e-4")), ops::forward(x, make_egem(2, 1e-4))));
  EXPECT_TRUE(torch::equal(ops::forward(x, std::string("gem:N=3")), ops::forward(x, make_gem(3))));
  EXPECT_TRUE(torch::equal(ops::backward(go, x, std::string("segem:N=1,eps=0.5")),
                           ops::backward(go, x, make_segem(1, 0.5))));
}

TEST(TorchOps, ActivationRunsTorchsOwnBaselines) {
  const at::Tensor x = torch::linspace(-4, 4, 77, torch::kFloat);
  EXPECT_TRUE(torch::equal(ops::activation(x, "relu"), torch::relu(x)));
  EXPECT_TRUE(torch::equal(ops::activation(x, "gelu"), torch::gelu(x)));
  EXPECT_TRUE(torch::equal(ops::activation(x, "silu"), torch::silu(x)));
  EXPECT_TRUE(torch::equal(ops::activation(x, "mish"), torch::mish(x)));
  EXPECT_TRUE(torch::equal(ops::activation(x, "elu"), torch::elu(x)));
  EXPECT_TRUE(torch::equal(ops::activation(x, "elu:alpha=0.5"), torch::elu(x, 0.5)));
  EXPECT_TRUE(torch::equal(ops::activation(x, "leaky_relu"), torch::leaky_relu(x, 0.01)));
  EXPECT_TRUE(torch::equal(ops::activation(x, "leaky_relu:slope=0.2"), torch::leaky_relu(x, 0.2)));
  EXPECT_TRUE(torch::equal(ops::activation(x, "egem:N=1,eps=1e-4"), ops::forward(x, make_egem(1, 1e-4))));
}

// ---- Errors -----------------------------------------------------------------------------------------

// HasSubstr keeps the checks readable; messages are compared in full where the issue fixed them.
#define EXPECT_ERROR(ErrorType, expr, text) EXPECT_THAT(error_of<ErrorType>([&] { (void)(expr); }), ::testing::HasSubstr(text))

TEST(TorchOps, ClearErrors) {
  using c10::TypeError;
  using c10::ValueError;
  const at::Tensor x = torch::zeros({3, 2});
  const Params p = make_egem(1, 1e-4);
  EXPECT_EQ(error_of<ValueError>([&] { ops::backward(torch::zeros({2, 3}), x, p); }),
            "gem::backward: grad_out shape [2, 3] does not match x shape [3, 2]");
  EXPECT_ERROR(TypeError, ops::backward(torch::zeros({3, 2}, torch::kDouble), x, p),
               "gem::backward: grad_out dtype Double does not match x dtype Float");
  EXPECT_ERROR(TypeError, ops::forward(torch::zeros({3}, torch::kInt), p),
               "gem::forward: x must be a floating-point tensor (float64, float32, float16 or bfloat16), got Int");
  EXPECT_ERROR(TypeError, ops::forward(torch::zeros({3}, torch::kComplexFloat), p), "got ComplexFloat");
  EXPECT_ERROR(TypeError, ops::forward(torch::zeros({3}, torch::kBool), p), "got Bool");
  EXPECT_ERROR(ValueError, ops::forward(x, Params{Variant::egem, 9, 1e-4}),
               "gem::forward: GEM order N must be an integer in [1, 8], got 9");
  EXPECT_ERROR(ValueError, ops::forward(x, Params{Variant::egem, 0, 1e-4}), "got 0");
  EXPECT_ERROR(ValueError, ops::forward(x, Params{Variant::egem, 1, 0.0}),
               "gem::forward: E-GEM eps must be finite and > 0, got 0");
  EXPECT_ERROR(ValueError, ops::forward(x, Params{Variant::segem, 1, -1.0}), "SE-GEM eps must be finite and > 0, got -1");
  EXPECT_ERROR(ValueError, ops::forward(x, Params{Variant::egem, 1, NAN}), "got nan");
  EXPECT_ERROR(ValueError, ops::forward(x, Params{Variant::egem, 1, INFINITY}), "got inf");
  EXPECT_ERROR(ValueError, ops::forward(x, Params{Variant::gem, 1, 0.5}), "GEM has no eps");
  EXPECT_ERROR(ValueError, ops::forward(x, std::string("relu")), "is not a GEM-family activation");
  EXPECT_ERROR(ValueError, ops::forward(x, std::string("egem:N=1")), "E-GEM needs eps");
  EXPECT_ERROR(ValueError, ops::activation(x, "swish"), "unknown activation 'swish'");
  // eps as a tensor
  EXPECT_ERROR(ValueError, ops::forward_eps_tensor(x, Variant::egem, 1, torch::tensor({1e-4, 1e-3, 1e-2})),
               "gem::forward_eps_tensor: eps must hold one value or one per channel (2 along dimension 1 of x, "
               "shape [3, 2]), got shape [3]");
  EXPECT_ERROR(ValueError, ops::forward_eps_tensor(x, Variant::egem, 1, torch::tensor({1e-4, 1e-3}), 2),
               "channel_dim 2 is not a dimension of x");
  EXPECT_ERROR(ValueError, ops::forward_eps_tensor(x, Variant::egem, 1, torch::tensor({1e-4, -1.0})),
               "E-GEM eps must be finite and > 0, got -1 (the eps of channel 1)");
  EXPECT_ERROR(ValueError, ops::forward_eps_tensor(x, Variant::gem, 1, torch::tensor(1e-4)), "GEM has no eps");
  EXPECT_ERROR(ValueError, ops::forward_eps_tensor(x, Variant::egem, 1, torch::tensor(0.0)),
               "E-GEM eps must be finite and > 0, got 0");
  EXPECT_ERROR(TypeError, ops::forward_eps_tensor(x, Variant::egem, 1, torch::tensor(1)), "eps must be a floating-point");
  EXPECT_ERROR(ValueError, ops::eps_partial(x, Variant::egem, 1, torch::tensor(0.1), gem::Quantity::grad),
               "which must be 0");
  // out= with autograd
  at::Tensor out = torch::empty({3, 2});
  EXPECT_ERROR(c10::Error, ops::forward_out(out, x.clone().requires_grad_(true), p),
               "gem::forward_out: functions with out= arguments do not support automatic differentiation");
  at::Tensor bad_out = torch::empty({3, 2}, torch::kDouble);
  EXPECT_ERROR(TypeError, ops::forward_out(bad_out, x, p), "gem::forward_out: out dtype Double does not match x dtype Float");
}

}  // namespace
}  // namespace gem
