// The transformer language models: the causal mask, shapes, the paper-scale parameter counts
// (GPT-2 124M, BERT-small), the gated feed-forward forms and the activation names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "gem/torch/modules.h"
#include "src/train/models/classifier.h"
#include "src/train/models/feed_forward_spec.h"
#include "src/train/models/language_model.h"
#include "src/train/models/probed_activation.h"
#include "src/train/models/transformer_block.h"
#include "src/train/trainer/train_options.h"

namespace gem::train {
namespace {

using ::testing::HasSubstr;

TransformerOptions shape(const std::string& arch, const std::string& activation, int64_t vocab_size, int64_t context,
                         int64_t layers, int64_t heads, int64_t embed_dim) {
  TransformerOptions o;
  o.arch = arch;
  o.activation = activation;
  o.vocab_size = vocab_size;
  o.context = context;
  o.layers = layers;
  o.heads = heads;
  o.embed_dim = embed_dim;
  return o;
}

TransformerOptions tiny(const std::string& arch, const std::string& activation) {
  return shape(arch, activation, 61, 16, 2, 2, 16);
}

// Logits of `ids` and of `ids` with the token at `position` replaced (every row of the batch).
std::pair<torch::Tensor, torch::Tensor> logits_before_after(LanguageModelImpl& model, int64_t position) {
  torch::manual_seed(7);
  const torch::Tensor ids = torch::randint(0, 61, {3, 16}, torch::kLong);
  torch::Tensor changed = ids.clone();
  changed.select(1, position).copy_((ids.select(1, position) + 1) % 61);
  torch::NoGradGuard no_grad;
  model.eval();
  return {model.forward(ids), model.forward(changed)};
}

TEST(LanguageModel, ChangingAFutureTokenNeverChangesEarlierLogits) {
  for (const char* act : {"gelu", "gem:N=1", "egem:N=2,eps=10", "glu-egem:N=1,eps=1"}) {
    torch::manual_seed(1);
    const LanguageModel gpt = make_language_model(tiny("gpt", act));
    for (int64_t position : {0, 5, 15}) {
      const auto [before, after] = logits_before_after(*gpt, position);
      EXPECT_TRUE(torch::equal(before.narrow(1, 0, position), after.narrow(1, 0, position))) << act << " " << position;
      // The changed position and later ones do see it.
      EXPECT_FALSE(torch::allclose(before.narrow(1, position, 16 - position), after.narrow(1, position, 16 - position)))
          << act << " " << position;
    }
  }
}

TEST(LanguageModel, TheEncoderSeesBothDirections) {
  torch::manual_seed(1);
  const LanguageModel bert = make_language_model(tiny("bert", "gelu"));
  const auto [before, after] = logits_before_after(*bert, 12);
  EXPECT_FALSE(torch::allclose(before.narrow(1, 0, 12), after.narrow(1, 0, 12)));
}

TEST(LanguageModel, ShapesAndParameterCountsMatchTheFormula) {
  for (const char* arch : {"gpt", "bert"})
    for (const char* act : {"relu", "segem:N=1,eps=0.01", "glu-gelu", "glu-silu"}) {
      torch::manual_seed(1);
      const TransformerOptions o = tiny(arch, act);
      const LanguageModel model = make_language_model(o);
      EXPECT_EQ(parameter_count(*model), language_model_parameters(o)) << arch << " " << act;
      const torch::Tensor logits = model->forward(torch::randint(0, 61, {2, 9}, torch::kLong));
      EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 9, 61}));
      EXPECT_EQ(model->causal(), std::string(arch) == "gpt");
    }
}

TEST(LanguageModel, Gpt2SmallHas124MParameters) {
  TransformerOptions o = shape("gpt", "gem:N=1", 50257, 1024, 12, 12, 768);
  // The published GPT-2 small count (tied embeddings): 124,439,808.
  EXPECT_EQ(language_model_parameters(o), 124439808);
  EXPECT_NEAR(static_cast<double>(language_model_parameters(o)), 124e6, 0.01 * 124e6);
  torch::manual_seed(1);
  const LanguageModel model = make_language_model(o);
  EXPECT_EQ(parameter_count(*model), 124439808);
  EXPECT_EQ(model->forward(torch::zeros({1, 4}, torch::kLong)).sizes(), (std::vector<int64_t>{1, 4, 50257}));
  // The gated form keeps the count within 0.1% (feed-forward width 2048 instead of 3072).
  o.activation = "glu-gelu";
  EXPECT_EQ(feed_forward_width(o), 2048);
  EXPECT_NEAR(static_cast<double>(language_model_parameters(o)), 124439808.0, 0.001 * 124439808.0);
}

TEST(LanguageModel, BertSmallShapes) {
  const TransformerOptions o = shape("bert", "egem:N=1,eps=10", 30522, 512, 4, 8, 512);
  torch::manual_seed(1);
  const LanguageModel model = make_language_model(o);
  // Embeddings 30522*512 + 512*512, 4 blocks of 3,152,384, final LayerNorm, output bias.
  EXPECT_EQ(language_model_parameters(o), 30522 * 512 + 512 * 512 + 4 * 3152384 + 2 * 512 + 30522);
  EXPECT_EQ(parameter_count(*model), language_model_parameters(o));
}

TEST(LanguageModel, GatedFeedForwardIsActOfXWTimesXV) {
  torch::manual_seed(3);
  TransformerOptions o = tiny("gpt", "glu-egem:N=2,eps=1");
  FeedForward ff(o);
  ff->eval();
  const torch::Tensor x = torch::randn({2, 5, 16});
  auto params = ff->named_parameters();
  // One projection of twice the width: its first half is W, its second V.
  const int64_t h = feed_forward_width(o);
  const torch::Tensor wv = params["hidden.weight"], bwv = params["hidden.bias"], u = params["output.weight"],
                      bu = params["output.bias"];
  ASSERT_EQ(wv.size(0), 2 * h);
  EXPECT_EQ(params.find("gate.weight"), nullptr);
  const torch::Tensor a = torch::matmul(x, wv.slice(0, 0, h).t()) + bwv.slice(0, 0, h);
  const torch::Tensor b = torch::matmul(x, wv.slice(0, h).t()) + bwv.slice(0, h);
  // f itself comes from the module library (tested against the golden values elsewhere).
  gem::torch_ext::Activation act("egem:N=2,eps=1");
  const torch::Tensor expected = torch::matmul(act->forward(a) * b, u.t()) + bu;
  EXPECT_TRUE(torch::allclose(ff->forward(x), expected, 1e-5, 1e-6));
  // The dead-unit probe sees a's features, and the same output.
  DeadUnitProbe probe(*ff, /*on=*/true);
  EXPECT_TRUE(torch::allclose(ff->forward(x), expected, 1e-5, 1e-6));
  const DeadUnitProbe::Count count = probe.finish();
  EXPECT_EQ(count.units, h);
  // Plain: out(act(in(x))), one projection of the width.
  FeedForward plain(tiny("gpt", "egem:N=2,eps=1"));
  EXPECT_EQ(plain->named_parameters()["hidden.weight"].size(0), feed_forward_width(tiny("gpt", "egem:N=2,eps=1")));
}

TEST(FeedForwardSpec, ParsesAndPrintsTheGatedForm) {
  EXPECT_EQ(canonical_feed_forward("glu-egem:N=2,eps=10"), "glu-egem:N=2,eps=10");
  EXPECT_EQ(canonical_feed_forward("glu-gem"), "glu-gem:N=1");
  EXPECT_EQ(canonical_feed_forward("segem:eps=0.0001"), "segem:N=1,eps=1e-4");
  EXPECT_TRUE(FeedForwardSpec::parse("glu-silu").gated);
  EXPECT_FALSE(FeedForwardSpec::parse("silu").gated);
  try {
    FeedForwardSpec::parse("glu-egem:N=2");
    ADD_FAILURE() << "accepted E-GEM without eps";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("gated form 'glu-egem:N=2'"));
    EXPECT_THAT(e.what(), HasSubstr("eps"));
  }
  EXPECT_THROW(FeedForwardSpec::parse("glu"), std::invalid_argument);
}

TEST(LanguageModel, OptionsAreCheckedEarly) {
  TrainOptions o;
  o.model = "cnn";
  o.activation = "glu-gelu";
  try {
    validate(o);
    ADD_FAILURE() << "an image model took a gated activation";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("transformer feed-forward only"));
  }
  o.model = "gpt";
  o.dataset = "python-docs";
  o.activation = "gelu";
  validate(o);
  o.language_model.heads = 3;
  try {
    validate(o);
    ADD_FAILURE() << "accepted embed_dim 128 with 3 heads";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("multiple of heads"));
  }
  o.language_model.heads = 4;
  o.dataset = "fashion-mnist";
  EXPECT_THROW(validate(o), std::invalid_argument);
  o.dataset = "text";  // needs data_dir
  try {
    validate(o);
    ADD_FAILURE() << "accepted the text dataset without files";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("--data-dir"));
  }
}

}  // namespace
}  // namespace gem::train
