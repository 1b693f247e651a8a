// gem::torch_ext::init_gain / kaiming_normal_ (gem/torch/init.h) and the op gem::gaussian_moments.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "gem/gaussian_moments.h"
#include "gem/torch.h"

namespace gem::torch_ext {
namespace {

using ::testing::HasSubstr;

TEST(Init, KaimingNormalForReluIsTorchsInBothModes) {
  for (const FanMode mode : {FanMode::fan_in, FanMode::fan_out}) {
    torch::Tensor a = torch::empty({64, 32, 3}), b = torch::empty({64, 32, 3});
    torch::manual_seed(7);
    kaiming_normal_(a, "relu", mode);
    torch::manual_seed(7);
    torch::nn::init::kaiming_normal_(b, 0.0,
                                     mode == FanMode::fan_in ? torch::nn::init::FanModeType(torch::kFanIn)
                                                             : torch::nn::init::FanModeType(torch::kFanOut),
                                     torch::kReLU);
    EXPECT_TRUE(torch::allclose(a, b, 1e-6, 0));
  }
}

TEST(Init, GemGainsInEachMode) {
  torch::manual_seed(8);
  torch::Tensor w = torch::empty({600, 1200});
  kaiming_normal_(w, "gem:N=1");
  EXPECT_NEAR(w.std().item<double>() * std::sqrt(1200.0), init_gain("gem:N=1"), 0.01 * init_gain("gem:N=1"));
  kaiming_normal_(w, "gem:N=1", FanMode::fan_out);
  EXPECT_NEAR(w.std().item<double>() * std::sqrt(600.0), init_gain_backward("gem:N=1"),
              0.01 * init_gain_backward("gem:N=1"));
  EXPECT_DOUBLE_EQ(init_gain("gem:N=1"), gem::init_gain(ActivationSpec::parse("gem:N=1")));
}

TEST(Init, TheOpReturnsTheCoresMoments) {
  const auto op = c10::Dispatcher::singleton().findSchemaOrThrow("gem::gaussian_moments", "");
  const std::vector<double> m = op.typed<std::vector<double>(c10::string_view)>().call("segem:N=1,eps=1e-4");
  const GaussianMoments core = gaussian_moments(ActivationSpec::parse("segem:N=1,eps=1e-4"));
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0], core.mean);
  EXPECT_EQ(m[1], core.mean_square);
  EXPECT_EQ(m[2], core.grad_mean_square);
}

TEST(Init, ErrorsNameTheFunction) {
  torch::Tensor w = torch::empty({4, 4});
  EXPECT_THAT([&] { kaiming_normal_(w, "egem:N=1,eps=0"); },
              ::testing::ThrowsMessage<c10::ValueError>(HasSubstr("kaiming_normal_")));
  EXPECT_THAT([&] { kaiming_normal_(w, -1.0); }, ::testing::ThrowsMessage<c10::ValueError>(HasSubstr("gain")));
  torch::Tensor v = torch::empty({4});
  EXPECT_THAT([&] { kaiming_normal_(v, "relu"); },
              ::testing::ThrowsMessage<c10::ValueError>(HasSubstr("2 dimensions")));
  EXPECT_THAT([] { init_gain("nope"); }, ::testing::ThrowsMessage<c10::ValueError>(HasSubstr("init_gain")));
}

}  // namespace
}  // namespace gem::torch_ext
