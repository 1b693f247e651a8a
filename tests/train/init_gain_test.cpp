// --init-gain (src/train/models/init_gain.h): the layers that feed an activation get
// kaiming_normal_ with the gain asked for, every other layer and "default" keep each model's
// own scheme, bad values are refused, and runs made before the option existed still resume.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "gem/gaussian_moments.h"
#include "src/train/models/classifier.h"
#include "src/train/models/init_gain.h"
#include "src/train/models/language_model.h"
#include "src/train/trainer/fields.h"
#include "src/train/trainer/recipe.h"
#include "src/train/trainer/run_folder.h"

namespace gem::train {
namespace {

using ::testing::HasSubstr;

double gain_of(const char* spec) { return init_gain(ActivationSpec::parse(spec)); }

ModelOptions mlp(const std::string& init_gain) {
  ModelOptions o;
  o.arch = "mlp";
  o.activation = "gem:N=1";
  o.hidden = {512, 512};
  o.init_gain = init_gain;
  return o;
}

// std of a weight over its fan: the gain it was drawn with (720+ thousand samples: ~0.1% noise).
double drawn_gain(const torch::Tensor& w, int64_t fan) { return w.std().item<double>() * std::sqrt(double(fan)); }

std::vector<torch::Tensor> linear_weights(const torch::nn::Module& model) {
  std::vector<torch::Tensor> weights;
  for (const auto& m : model.modules(/*include_self=*/false))
    if (auto* linear = m->as<torch::nn::Linear>()) weights.push_back(linear->weight);
  return weights;
}

TEST(InitGain, AutoGivesTheHiddenLayersTheActivationsGainAndLeavesTheLast) {
  torch::manual_seed(1);
  const auto weights = linear_weights(*make_model(mlp("auto")));
  ASSERT_EQ(weights.size(), 3u);
  EXPECT_NEAR(drawn_gain(weights[0], 784), gain_of("gem:N=1"), 0.01 * gain_of("gem:N=1"));
  EXPECT_NEAR(drawn_gain(weights[1], 512), gain_of("gem:N=1"), 0.01 * gain_of("gem:N=1"));
  EXPECT_NEAR(drawn_gain(weights[2], 512), std::sqrt(2.0), 0.05);  // feeds the loss: He, as before
}

TEST(InitGain, DefaultKeepsEachModelsOwnScheme) {
  torch::manual_seed(2);
  const auto weights = linear_weights(*make_model(mlp("default")));
  EXPECT_NEAR(drawn_gain(weights[0], 784), std::sqrt(2.0), 0.02);  // He for the MLP's every layer
  EXPECT_NEAR(drawn_gain(weights[1], 512), std::sqrt(2.0), 0.02);
  TransformerOptions o;
  o.vocab_size = 64;
  o.context = 8;
  o.layers = 1;
  o.embed_dim = 256;
  o.activation = "gem:N=1";
  const LanguageModel model = make_language_model(o);  // init_gain "default": GPT-2's normal(0, 0.02)
  for (const auto& item : model->named_parameters())
    if (item.key().find("feed_forward.hidden.weight") != std::string::npos)
      EXPECT_NEAR(item.value().std().item<double>(), 0.02, 0.001);
}

TEST(InitGain, ANumberAndHeAreThatGain) {
  torch::manual_seed(3);
  EXPECT_NEAR(drawn_gain(linear_weights(*make_model(mlp("0.5")))[0], 784), 0.5, 0.005);
  EXPECT_NEAR(drawn_gain(linear_weights(*make_model(mlp("he")))[0], 784), std::sqrt(2.0), 0.015);
}

TEST(InitGain, ResNetConvolutionsUseTheBackwardGainWithFanOut) {
  torch::manual_seed(4);
  ModelOptions o;
  o.arch = "resnet";
  o.depth = 8;
  o.width = 64;
  o.activation = "gem:N=2";
  o.init_gain = "auto";
  const Classifier model = make_model(o);
  std::vector<torch::Tensor> convs;
  for (const auto& m : model->modules(false))
    if (auto* conv = m->as<torch::nn::Conv2d>()) convs.push_back(conv->weight);
  const torch::Tensor& w = convs.back();  // the last stage: 256 x 256 x 3 x 3, fan_out 2304
  EXPECT_NEAR(drawn_gain(w, w.size(0) * 9), init_gain_backward(ActivationSpec::parse("gem:N=2")), 0.02);
}

TEST(InitGain, TransformersChangeOnlyTheFeedForwardInput) {
  TransformerOptions o;
  o.vocab_size = 64;
  o.context = 8;
  o.layers = 1;
  o.embed_dim = 256;
  o.activation = "glu-egem:N=2,eps=10";  // gated: the spec's gain
  o.init_gain = "auto";
  torch::manual_seed(5);
  const LanguageModel model = make_language_model(o);
  bool saw_input = false;
  for (const auto& item : model->named_parameters()) {
    const std::string& name = item.key();
    const torch::Tensor& p = item.value();
    if (name.find("weight") == std::string::npos || p.dim() != 2) continue;
    if (name.find("feed_forward.hidden") != std::string::npos) {
      saw_input = true;  // [W | V]: the spec's gain on the rows that feed f, 1 on the values
      const int64_t h = p.size(0) / 2;
      EXPECT_NEAR(drawn_gain(p.narrow(0, 0, h), 256), gain_of("egem:N=2,eps=10"), 0.02 * gain_of("egem:N=2,eps=10"));
      EXPECT_NEAR(drawn_gain(p.narrow(0, h, h), 256), 1.0, 0.02);
    } else if (name.find("qkv") != std::string::npos || name.find("tokens") != std::string::npos) {
      EXPECT_NEAR(p.std().item<double>(), 0.02, 0.002) << name;  // GPT-2's scheme, untouched
    }
  }
  EXPECT_TRUE(saw_input);
}

TEST(InitGain, BadValuesAreRefusedSayingWhatIsAllowed) {
  for (const char* bad : {"", "Auto", "-1", "0", "nan", "inf", "1.5x", " 2", "0x2", "+2", "1e999"}) {
    try {
      validate_init_gain(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), HasSubstr("init_gain: unknown")) << bad;
      EXPECT_THAT(e.what(), HasSubstr("auto")) << bad;
    }
  }
  for (const char* good : {"default", "he", "auto", "1.7", "2", ".5", "1e0"})
    EXPECT_NO_THROW(validate_init_gain(good)) << good;
  EXPECT_THROW(resolve_options(load_recipe("mnist-local", default_recipes_dir()), nlohmann::json{{"init_gain", "x"}}),
               std::invalid_argument);
}

// A run recorded before init_gain existed did what "default" does, so it resumes and compares.
TEST(InitGain, RunsRecordedWithoutTheFieldMatchItsDefault) {
  nlohmann::json options = to_json(TrainOptions{});
  RunFolder recorded;
  recorded.has_run = true;
  recorded.options = options;
  recorded.options.erase("init_gain");
  EXPECT_TRUE(run_differences(recorded, "", options).empty());
  options["init_gain"] = "auto";
  const auto differences = run_differences(recorded, "", options);
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_THAT(differences.front(), HasSubstr("init_gain: recorded missing"));
}

}  // namespace
}  // namespace gem::train
