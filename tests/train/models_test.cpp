// Models: output shapes for every architecture, ResNet depth and activation; parameter counts
// of the published ResNets; the dead-unit probe on units made dead on purpose.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "src/train/models/classifier.h"
#include "src/train/models/mlp.h"
#include "src/train/models/probed_activation.h"

namespace gem::train {
namespace {

// The activation list of the recipes (issue 5).
const std::vector<std::string> kActivations{"relu",    "gelu",    "silu",    "mish",
                                            "elu",     "leaky_relu", "gem:N=1", "gem:N=2",
                                            "gem:N=3", "egem:N=1,eps=1", "egem:N=1,eps=1e-2", "egem:N=1,eps=1e-4",
                                            "egem:N=1,eps=1e-6", "segem:N=1,eps=1e-4"};

ModelOptions options(const std::string& arch, const std::string& act, int64_t channels, int64_t side) {
  ModelOptions o;
  o.arch = arch;
  o.activation = act;
  o.width = 4;  // small: shapes do not depend on width
  o.hidden = {8};
  o.in_channels = channels;
  o.in_height = side;
  o.in_width = side;
  o.classes = 7;
  return o;
}

TEST(Models, EveryArchitectureAndActivationGivesLogits) {
  torch::manual_seed(0);
  for (const std::string& act : kActivations)
    for (const char* arch : {"mlp", "cnn", "resnet"})
      for (const auto& [channels, side] : std::vector<std::pair<int64_t, int64_t>>{{1, 28}, {3, 32}}) {
        ModelOptions o = options(arch, act, channels, side);
        o.depth = 8;
        const Classifier model = make_model(o);
        const torch::Tensor y = model->forward(torch::randn({2, channels, side, side}));
        EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 7})) << arch << " " << act;
        EXPECT_TRUE(torch::isfinite(y).all().item<bool>()) << arch << " " << act;
      }
}

TEST(Models, EveryResNetDepthWithEveryActivation) {
  torch::manual_seed(0);
  for (int64_t depth : {20, 32, 44, 56, 110})
    for (const std::string& act : kActivations) {
      ModelOptions o = options("resnet", act, 1, 28);
      o.depth = depth;
      const Classifier model = make_model(o);
      const torch::Tensor y = model->forward(torch::randn({1, 1, 28, 28}));
      ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 7})) << depth << " " << act;
      // stem + two per block, 3 stages of (depth - 2) / 6 blocks
      EXPECT_EQ(static_cast<int64_t>(activation_layers(*model).size()), depth - 1) << depth;
    }
}

TEST(Models, ResNetParameterCountsMatchHeEtAl) {
  // He et al. 2016, table 6 (CIFAR-10, option A shortcuts): 0.27M, 0.46M, 0.66M, 0.85M, 1.7M.
  const std::vector<std::pair<int64_t, double>> published{{20, 0.27e6}, {32, 0.46e6}, {44, 0.66e6},
                                                          {56, 0.85e6}, {110, 1.7e6}};
  for (const auto& [depth, count] : published) {
    ModelOptions o = options("resnet", "relu", 3, 32);
    o.width = 16;
    o.classes = 10;
    o.depth = depth;
    const double n = static_cast<double>(parameter_count(*make_model(o)));
    EXPECT_NEAR(n, count, 0.01e6 + 0.02 * count) << "ResNet-" << depth << ": " << n;
  }
}

TEST(Models, InvalidOptionsAreRefused) {
  ModelOptions o = options("resnet", "relu", 1, 28);
  o.depth = 21;
  EXPECT_THROW(make_model(o), std::invalid_argument);
  o = options("transformer", "relu", 1, 28);
  EXPECT_THROW(make_model(o), std::invalid_argument);
  o = options("mlp", "egem:N=9,eps=1", 1, 28);
  EXPECT_THROW(make_model(o), std::invalid_argument);
}

// One hidden layer of 4 units; unit 0 gets zero weights and bias -1, so its pre-activation is
// -1 for every input: dead for activations flat on x < 0, alive for the others.
int64_t dead_units_with_unit0_negative(const std::string& act) {
  ModelOptions o = options("mlp", act, 1, 4);
  o.hidden = {4};
  auto model = std::make_shared<MlpImpl>(o);
  {
    torch::NoGradGuard no_grad;
    auto linear = model->modules(false)[1]->as<torch::nn::Linear>();
    linear->weight[0].zero_();
    linear->bias[0] = -1.0;
    linear->bias.narrow(0, 1, 3).fill_(10.0);  // the others positive: alive for every activation
    linear->weight.narrow(0, 1, 3).zero_();
  }
  auto layers = activation_layers(*model);
  EXPECT_EQ(layers.size(), 1u);
  torch::NoGradGuard no_grad;
  layers[0]->start_probe();
  for (int batch = 0; batch < 3; ++batch) model->forward(torch::randn({5, 1, 4, 4}));
  layers[0]->stop_probe();
  EXPECT_EQ(layers[0]->units(), 4);
  return layers[0]->dead_units();
}

TEST(DeadUnits, FlatNegativeSideKillsTheUnitOthersKeepIt) {
  for (const char* act : {"relu", "gem:N=1", "egem:N=2,eps=1e-4"}) EXPECT_EQ(dead_units_with_unit0_negative(act), 1) << act;
  for (const char* act : {"segem:N=1,eps=1e-4", "gelu", "silu", "elu", "leaky_relu"})
    EXPECT_EQ(dead_units_with_unit0_negative(act), 0) << act;
}

TEST(DeadUnits, ProbeDoesNotChangeTheOutput) {
  torch::manual_seed(3);
  const Classifier model = make_model(options("cnn", "segem:N=1,eps=1e-2", 1, 8));
  const torch::Tensor x = torch::randn({3, 1, 8, 8});
  torch::NoGradGuard no_grad;
  const torch::Tensor plain = model->forward(x);
  for (auto& layer : activation_layers(*model)) layer->start_probe();
  const torch::Tensor probed = model->forward(x);
  EXPECT_TRUE(torch::equal(plain, probed));
  int64_t units = 0;
  for (auto& layer : activation_layers(*model)) units += layer->units();
  EXPECT_EQ(units, 4 + 8 + 8);  // conv1 channels, conv2 channels, hidden features
}

}  // namespace
}  // namespace gem::train
