// Recipes, fields and flags, and the learning-rate schedule.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "apps/train_cli/field_flags.h"
#include "src/train/trainer/fields.h"
#include "src/train/trainer/recipe.h"
#include "src/train/trainer/schedule.h"
#include "train/data_files.h"

namespace gem::train {
namespace {

using nlohmann::json;
using testing::error_of;
using ::testing::HasSubstr;
using train_cli::FieldFlags;

TEST(Recipes, EveryShippedRecipeLoadsAndValidates) {
  const auto names = recipe_names(default_recipes_dir());
  for (const char* required : {"mnist-local", "fashion-local", "fashion-resnet-local", "mnist", "cifar10-resnet56",
                               "cifar100-resnet56", "gpt-local", "bert-local", "gpt2-124m", "bert-small"})
    EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
  for (const auto& name : names) {
    const Recipe r = load_recipe(name, default_recipes_dir());
    EXPECT_FALSE(r.description.empty()) << name;
    EXPECT_FALSE(r.activations.empty()) << name;
    EXPECT_FALSE(r.seeds.empty()) << name;
    for (const auto& act : r.activations) {
      json fields{{"activation", act}};
      // The paper-scale text recipes train on files the user names.
      if (r.train.value("dataset", "") == "text") fields["data_dir"] = "/data/wikitext-103/wiki.train.tokens";
      EXPECT_NO_THROW(resolve_options(r, fields)) << name << " " << act;
    }
  }
}

TEST(Options, Gpt2TokenizerIsRefusedForBertWithAReason) {
  try {
    resolve_options(load_recipe("bert-small", default_recipes_dir()),
                    json{{"data_dir", "/data/train.txt"}, {"tokenizer", "gpt2"}});
    ADD_FAILURE() << "bert accepted the gpt2 tokenizer";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("gpt2 has no mask token"));
  }
}

TEST(Recipes, PaperScaleLanguageModelsHaveThePaperShapes) {
  const json data{{"data_dir", "/data/train.txt"}};
  const TrainOptions gpt2 = resolve_options(load_recipe("gpt2-124m", default_recipes_dir()), data);
  EXPECT_EQ(language_model_parameters(transformer_options(gpt2, gpt2.vocab_size)), 124439808);
  EXPECT_EQ(gpt2.language_model.context, 1024);
  EXPECT_EQ(gpt2.batch_size * gpt2.grad_accumulation * gpt2.language_model.context, 524288);  // 0.5M tokens per step
  EXPECT_EQ(gpt2.tokenizer, "gpt2");  // GPT-2's own tokens, so perplexities compare with GPT-2's
  EXPECT_EQ(gpt2.vocab_size, 50257);
  const TrainOptions bert = resolve_options(load_recipe("bert-small", default_recipes_dir()), data);
  EXPECT_EQ(bert.model, "bert");
  EXPECT_EQ(bert.language_model.layers, 4);
  EXPECT_EQ(bert.language_model.embed_dim, 512);
  EXPECT_EQ(bert.language_model.heads, 8);
  EXPECT_DOUBLE_EQ(bert.mask_prob, 0.15);
  try {
    resolve_options(load_recipe("gpt2-124m", default_recipes_dir()), json::object());
    ADD_FAILURE() << "gpt2-124m resolved without training text";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("--data-dir"));
  }
}

TEST(Recipes, PaperScaleRecipesUseTheUsualSchedule) {
  const TrainOptions c10 = resolve_options(load_recipe("cifar10-resnet56", default_recipes_dir()), json::object());
  EXPECT_EQ(c10.model, "resnet");
  EXPECT_EQ(c10.image_model.depth, 56);
  EXPECT_GE(c10.epochs, 164);
  EXPECT_LE(c10.epochs, 200);
  EXPECT_EQ(c10.optimizer, "sgd");
  EXPECT_EQ(c10.augment_pad, 4);
  EXPECT_TRUE(c10.augment_flip);
}

// The longer local recipes and the GPU campaign's (docs/results/paper-claims.md) cover the
// settings of the paper's claims, at the sizes their descriptions promise.
TEST(Recipes, LongAndCampaignRecipesCoverTheClaimsSettings) {
  const auto activations_of = [](const std::string& name) {
    return load_recipe(name, default_recipes_dir()).activations;
  };
  const auto has = [](const std::vector<std::string>& acts, const std::string& act) {
    return std::find(acts.begin(), acts.end(), act) != acts.end();
  };
  const TrainOptions cnn = resolve_options(load_recipe("fashion-resnet-long", default_recipes_dir()), json::object());
  EXPECT_EQ(cnn.model, "resnet");
  EXPECT_EQ(cnn.image_model.depth, 20);
  EXPECT_EQ(cnn.image_model.width, 16);  // full width
  EXPECT_EQ(cnn.train_limit, 0);         // all 60,000 images
  EXPECT_EQ(cnn.test_limit, 0);
  for (const char* act : {"relu", "gelu", "gem:N=1", "gem:N=2", "gem:N=3", "egem:N=1,eps=1e-4", "egem:N=1,eps=1e-6",
                          "segem:N=1,eps=1e-4"})
    EXPECT_TRUE(has(activations_of("fashion-resnet-long"), act)) << act;
  for (const char* name : {"gpt-long", "bert-long"}) {
    const TrainOptions lm = resolve_options(load_recipe(name, default_recipes_dir()), json::object());
    EXPECT_EQ(lm.dataset, "brown") << name;
    EXPECT_GE(lm.steps_per_epoch * lm.epochs, 2000) << name;  // ten times the 200 steps of gpt-local
    for (const char* act : {"relu", "gelu", "gem:N=1", "gem:N=2", "gem:N=3", "egem:N=2,eps=1", "egem:N=2,eps=10"})
      EXPECT_TRUE(has(activations_of(name), act)) << name << " " << act;
  }
  for (const char* name : {"fashion-resnet-long", "gpt-long", "bert-long"})
    EXPECT_GE(load_recipe(name, default_recipes_dir()).seeds.size(), 3u) << name;

  const TrainOptions r56 = resolve_options(load_recipe("gpu-resnet56-fashion", default_recipes_dir()), json::object());
  EXPECT_EQ(r56.image_model.depth, 56);
  EXPECT_EQ(r56.image_model.width, 16);
  EXPECT_EQ(r56.train_limit, 0);
  EXPECT_GE(load_recipe("gpu-resnet56-fashion", default_recipes_dir()).seeds.size(), 2u);
  const TrainOptions dec = resolve_options(load_recipe("gpu-decoder", default_recipes_dir()), json::object());
  const int64_t parameters = language_model_parameters(transformer_options(dec, dec.vocab_size));
  EXPECT_GE(parameters, 10'000'000);  // the issue's 10-30M
  EXPECT_LE(parameters, 30'000'000);
}
TEST(Recipes, BadRecipesSayWhatIsWrong) {
  const auto dir = testing::fresh_dir("recipes");
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / (name + ".json")) << text;
  };
  write("typo", R"({"description": "x", "train": {"epoch": 3}, "activations": ["relu"], "seeds": [1]})");
  EXPECT_THAT(error_of([&] { load_recipe("typo", dir); }), HasSubstr("unknown field 'epoch'; known: dataset"));
  write("type", R"({"train": {"epochs": "three"}})");
  EXPECT_THAT(error_of([&] { load_recipe("type", dir); }), HasSubstr("epochs must be an integer, got \"three\""));
  write("act", R"({"activations": ["egem:N=0,eps=1"]})");
  EXPECT_THAT(error_of([&] { load_recipe("act", dir); }), HasSubstr("activation 'egem:N=0,eps=1'"));
  write("key", R"({"activation": ["relu"]})");
  EXPECT_THAT(error_of([&] { load_recipe("key", dir); }), HasSubstr("unknown key 'activation'"));
  EXPECT_THAT(error_of([&] { load_recipe("absent", dir); }), HasSubstr("no recipe 'absent'"));
  // Was: the second "lr" silently won.
  write("twice", R"({"train": {"lr": 0.1, "epochs": 2, "lr": 0.5}})");
  EXPECT_THAT(error_of([&] { load_recipe("twice", dir); }), HasSubstr("the key 'lr' appears twice in one object"));
  write("bad name!", R"({})");
  EXPECT_THAT(error_of([&] { load_recipe((dir / "bad name!.json").string(), dir); }),
              HasSubstr("recipe name 'bad name!' must be 1 to 100 letters, digits and . _ + -"));
  // Nested 300,000 deep: was a segfault in every JSON reader.
  write("deep", "{\"train\": {\"lr\": " + std::string(300000, '[') + std::string(300000, ']') + "}}");
  EXPECT_THAT(error_of([&] { load_recipe("deep", dir); }), HasSubstr("nested deeper than 64 levels"));
  write("overflow", R"({"train": {"lr": 1e999}})");
  EXPECT_THAT(error_of([&] { load_recipe("overflow", dir); }), AllOf(HasSubstr("overflow.json"), HasSubstr("1e999")));
  write("range", R"({"train": {"momentum": 1.5}})");
  const Recipe r = load_recipe("range", dir);
  EXPECT_THAT(error_of([&] { resolve_options(r, json::object()); }), HasSubstr("momentum: must be in [0, 1)"));
}

TEST(Fields, SizesThatCouldOverflowOrExhaustMemoryAreRefused) {
  const auto dir = testing::fresh_dir("sizes");
  std::ofstream(dir / "r.json") << R"({"train": {"dataset": "mnist", "data_dir": "x"}})";
  const Recipe r = load_recipe((dir / "r.json").string(), dir);
  const auto refusal = [&](json fields) { return error_of([&] { resolve_options(r, fields); }); };
  // Was: NaN losses and exit 0 (the step count overflowed), a hang, a 3 TB allocation.
  EXPECT_THAT(refusal({{"batch_size", 9223372036854775807}}), HasSubstr("batch_size: must be in [1, 2147483648]"));
  EXPECT_THAT(refusal({{"threads", 1025}}), HasSubstr("threads: must be in [0, 1024]"));
  EXPECT_THAT(refusal({{"hidden", {1000000000}}}), HasSubstr("hidden: must be in [1, 1048576]"));
  EXPECT_THAT(refusal({{"width", 100000000}}), HasSubstr("width: must be in [1, 1048576]"));
  EXPECT_THAT(refusal({{"lr", 1e300}}), HasSubstr("lr: must be a float32 number > 0, got 1e300"));
  EXPECT_THAT(refusal({{"weight_decay", 1e300}}), HasSubstr("weight_decay: must be a float32 number"));
  EXPECT_THAT(refusal({{"tokenizer", "x"}}), HasSubstr("tokenizer: unknown 'x'"));
}

TEST(Recipes, RelativeDataDirIsRelativeToTheRecipeFile) {
  const auto dir = testing::fresh_dir("recipe_paths");
  std::ofstream(dir / "r.json") << R"({"train": {"data_dir": "../data/x"}})";
  const Recipe r = load_recipe((dir / "r.json").string(), "/nowhere");
  EXPECT_EQ(r.train["data_dir"], (dir.parent_path() / "data/x").string());
}

TEST(Fields, FlagsOverrideTheRecipe) {
  const auto dir = testing::fresh_dir("flags");
  std::ofstream(dir / "r.json") << R"({"train": {"epochs": 3, "lr": 0.5, "hidden": [4]}})";
  CLI::App app;
  FieldFlags flags(app);
  const char* argv[] = {"x", "--epochs", "7", "--hidden", "32,16", "--nesterov", "true", "--act", "gem:N=2"};
  app.parse(9, const_cast<char**>(argv));
  const TrainOptions o = resolve_options(load_recipe((dir / "r.json").string(), dir), flags.overrides());
  EXPECT_EQ(o.epochs, 7);
  EXPECT_EQ(o.lr, 0.5);  // from the recipe
  EXPECT_EQ(o.image_model.hidden, (std::vector<int64_t>{32, 16}));
  EXPECT_TRUE(o.nesterov);
  EXPECT_EQ(o.activation, "gem:N=2");
}

TEST(Fields, EveryFieldHasAFlagAndRoundTrips) {
  CLI::App app;
  FieldFlags flags(app);
  for (const Field& f : train_fields()) EXPECT_NE(app.get_option_no_throw(f.flag), nullptr) << f.flag;
  const TrainOptions defaults;
  EXPECT_EQ(to_json(apply_fields(TrainOptions{}, to_json(defaults), "test")), to_json(defaults));
  EXPECT_THAT(error_of([] {
                CLI::App a;
                FieldFlags f(a);
                const char* argv[] = {"x", "--batch-size", "12x"};
                a.parse(3, const_cast<char**>(argv));
                f.overrides();
              }),
              HasSubstr("--batch-size: batch_size: expected an integer, got '12x'"));
}

TEST(Schedule, WarmupMultistepAndCosine) {
  TrainOptions o;
  o.lr = 0.1;
  o.epochs = 10;
  o.schedule = "multistep";
  o.milestones = {5, 8};
  o.gamma = 0.1;
  o.warmup_epochs = 1;
  const int64_t steps = 4;
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 0, steps), 0.025);  // (0 + 1) / 4 of lr
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 3, steps), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(o, 4, 3, steps), 0.1);
  EXPECT_NEAR(learning_rate(o, 5, 0, steps), 0.01, 1e-15);
  EXPECT_NEAR(learning_rate(o, 9, 3, steps), 0.001, 1e-15);
  o.schedule = "cosine";
  o.min_lr = 0.002;
  EXPECT_DOUBLE_EQ(learning_rate(o, 1, 0, steps), 0.1);  // first step after the warm-up
  const double mid = learning_rate(o, 5, 2, steps);     // t = 18 / 36
  EXPECT_NEAR(mid, 0.002 + 0.098 * 0.5, 1e-12);
  EXPECT_GT(learning_rate(o, 9, 3, steps), 0.002);
  EXPECT_NEAR(learning_rate(o, 9, 3, steps), 0.002 + 0.098 * 0.5 * (1 + std::cos(M_PI * 35.0 / 36.0)), 1e-12);
  o.schedule = "constant";
  o.warmup_epochs = 0;
  EXPECT_DOUBLE_EQ(learning_rate(o, 7, 1, steps), 0.1);
}

}  // namespace
}  // namespace gem::train
