// The gated (GLU) operator gem::glu on x = [a | b]: against its unfused chain (f(a) * b with the
// same kernels: the same bits in float64 and float32, within one ulp of the 16-bit format of the
// float64 chain for float16 and bfloat16), for the GEM family and the baselines; autograd to
// second order (gradcheck of the gradients built with create_graph) in float64; shapes, Meta and
// the errors of bad shapes and dtypes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "gem/torch.h"
#include "torch/gradcheck.h"

namespace gem {
namespace {

namespace ops = gem::torch_ext;
using testing::gradcheck;
using testing::GradcheckTolerance;
using testing::gradients_of;

const char* const kGemSpecs[] = {"gem:N=1", "egem:N=1,eps=1e-4", "egem:N=2,eps=10", "segem:N=1,eps=1e-4",
                                 "segem:N=3,eps=0.37"};

/// f(a) * b by the unfused ops.
at::Tensor unfused(const at::Tensor& x, const std::string& spec) {
  const auto parts = x.chunk(2, -1);
  return ops::activation(parts[0], spec) * parts[1];
}

at::Tensor inputs(at::ScalarType dtype, std::vector<int64_t> shape, int seed) {
  torch::manual_seed(seed);
  return (torch::randn(shape, torch::kDouble) * 3).to(dtype);
}

TEST(TorchGated, FloatTypesGiveTheUnfusedChainsBits) {
  for (const at::ScalarType dtype : {at::kDouble, at::kFloat}) {
    for (const char* spec : kGemSpecs) {
      const at::Tensor x = inputs(dtype, {5, 7, 2 * 33}, 1);
      const at::Tensor go = inputs(dtype, {5, 7, 33}, 2);
      const at::Tensor y = ops::glu(x, spec);
      EXPECT_TRUE(torch::equal(y, unfused(x, spec))) << spec << " " << dtype;
      // Backward: the fused op's gradient against autograd through the unfused chain.
      const at::Tensor xr = x.clone().requires_grad_(true), xu = x.clone().requires_grad_(true);
      ops::glu(xr, spec).backward(go);
      unfused(xu, spec).backward(go);
      EXPECT_TRUE(torch::equal(xr.grad(), xu.grad())) << spec << " " << dtype;
    }
  }
}

TEST(TorchGated, SixteenBitTypesAreWithinOneUlpOfTheFloat64Chain) {
  for (const at::ScalarType dtype : {at::kHalf, at::kBFloat16}) {
    const double ulp_at_one = dtype == at::kHalf ? 0x1p-10 : 0x1p-7;
    for (const char* spec : kGemSpecs) {
      const at::Tensor x = inputs(dtype, {64, 2 * 24}, 3);
      const at::Tensor go = inputs(dtype, {64, 24}, 4);
      const at::Tensor want = unfused(x.to(at::kDouble), spec);
      const at::Tensor y = ops::glu(x, spec).to(at::kDouble);
      // One ulp of the result's binade (2^floor(log2|want|) ulp_at_one), with the format's
      // smallest normal spacing as the floor.
      const at::Tensor ulp =
          torch::exp2(torch::floor(torch::log2(want.abs().clamp_min(dtype == at::kHalf ? 0x1p-14 : 0x1p-126)))) *
          ulp_at_one;
      EXPECT_TRUE(((y - want).abs() <= ulp).all().item<bool>())
          << spec << " " << dtype << ": largest error " << ((y - want).abs() / ulp).max().item<double>() << " ulp";
      const at::Tensor xr = x.clone().requires_grad_(true), xd = x.to(at::kDouble).requires_grad_(true);
      ops::glu(xr, spec).backward(go);
      unfused(xd, spec).backward(go.to(at::kDouble));
      const at::Tensor gw = xd.grad();
      const at::Tensor gulp =
          torch::exp2(torch::floor(torch::log2(gw.abs().clamp_min(dtype == at::kHalf ? 0x1p-14 : 0x1p-126)))) *
          ulp_at_one;
      EXPECT_TRUE(((xr.grad().to(at::kDouble) - gw).abs() <= gulp).all().item<bool>()) << spec << " " << dtype;
    }
  }
}

TEST(TorchGated, BaselinesAreTheirActivationTimesTheGate) {
  const at::Tensor x = inputs(at::kFloat, {3, 10}, 5);
  const auto parts = x.chunk(2, -1);
  EXPECT_TRUE(torch::equal(ops::glu(x, "gelu"), torch::gelu(parts[0]) * parts[1]));  // GEGLU
  EXPECT_TRUE(torch::equal(ops::glu(x, "silu"), torch::silu(parts[0]) * parts[1]));  // SwiGLU
  EXPECT_TRUE(torch::equal(ops::glu(x, "relu"), torch::relu(parts[0]) * parts[1]));
}

TEST(TorchGated, ParamsOverloadIsTheSpecOne) {
  const at::Tensor x = inputs(at::kFloat, {4, 6}, 6);
  EXPECT_TRUE(torch::equal(ops::glu(x, make_egem(2, 1e-4)), ops::glu(x, "egem:N=2,eps=1e-4")));
}

TEST(TorchGated, FirstAndSecondOrderInFloat64) {
  for (const char* spec : kGemSpecs) {
    const at::Tensor x = inputs(at::kDouble, {3, 8}, 7).requires_grad_(true);
    const at::Tensor go = inputs(at::kDouble, {3, 4}, 8).requires_grad_(true);
    const std::string s = spec;
    auto fn = [s](const std::vector<at::Tensor>& in) { return std::vector<at::Tensor>{ops::glu(in[0], s)}; };
    EXPECT_TRUE(gradcheck(fn, {x})) << spec;
    EXPECT_TRUE(gradcheck(gradients_of(fn, 1), {x, go}, GradcheckTolerance{1e-7, 1e-5, 1e-3})) << spec;
  }
}

TEST(TorchGated, ShapesStridesAndEmpty) {
  const at::Tensor x = inputs(at::kFloat, {2, 3, 8}, 9);
  EXPECT_EQ(ops::glu(x, "egem:N=1,eps=1e-4").sizes(), (std::vector<int64_t>{2, 3, 4}));
  // A non-contiguous x (a transposed view) gives the values of its contiguous copy.
  const at::Tensor t = inputs(at::kFloat, {8, 5}, 10).t();
  EXPECT_TRUE(torch::equal(ops::glu(t, "gem:N=2"), ops::glu(t.contiguous(), "gem:N=2")));
  EXPECT_EQ(ops::glu(torch::zeros({0, 6}), "gem:N=1").sizes(), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(ops::glu(torch::zeros({4, 0}), "gem:N=1").sizes(), (std::vector<int64_t>{4, 0}));
  const at::Tensor meta = torch::empty({7, 2, 10}, torch::TensorOptions().device(torch::kMeta));
  const at::Tensor ym = ops::glu(meta, "segem:N=1,eps=1e-4");
  EXPECT_EQ(ym.sizes(), (std::vector<int64_t>{7, 2, 5}));
  EXPECT_TRUE(ym.is_meta());
}

TEST(TorchGated, BadInputsSayWhatIsWrong) {
  using ::testing::HasSubstr;
  const auto message = [](const auto& f) {
    try {
      f();
    } catch (const c10::Error& e) {
      return std::string(e.what_without_backtrace());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message([] {
                ops::glu(torch::zeros({3, 5}), "gem:N=1");
              }),
              HasSubstr("gem::glu: the last dimension of x holds [a | b] and must be even, got shape [3, 5]"));
  EXPECT_THAT(message([] { ops::glu(torch::zeros({}), "gelu"); }), HasSubstr("at least one dimension"));
  EXPECT_THAT(message([] {
                ops::glu(torch::zeros({3, 4}, torch::kInt), "gem:N=1");
              }),
              HasSubstr("gem::glu: x must be a floating-point tensor"));
  EXPECT_THAT(message([] { ops::glu(torch::zeros({3, 4}), "egem:N=9,eps=1"); }), HasSubstr("gem::glu: "));
  EXPECT_THAT(message([] {
                c10::Dispatcher::singleton()
                    .findSchemaOrThrow("gem::glu_backward", "")
                    .typed<at::Tensor(const at::Tensor&, const at::Tensor&, c10::string_view, int64_t, double)>()
                    .call(torch::zeros({3, 4}), torch::zeros({3, 4}), "egem", 1, 1e-4);
              }),
              HasSubstr("grad_out shape [3, 4] must be x's with the last dimension halved, [3, 2]"));
}

}  // namespace
}  // namespace gem
