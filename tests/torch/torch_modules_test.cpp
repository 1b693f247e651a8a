// torch::nn modules: printing, options checks, Sequential, clone, save/load (learnable eps
// included), Activation for every spec, and a small model that trains.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>

#include "gem/torch.h"

namespace gem {
namespace {

namespace ops = gem::torch_ext;
using ops::Activation;
using ops::EGEM;
using ops::EGEMOptions;
using ops::GEM;
using ops::SEGEM;
using ops::SEGEMOptions;

template <class M>
std::string printed(const M& module) {
  std::ostringstream s;
  module->pretty_print(s);
  return s.str();
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("gem_torch_modules_test_" + name)).string();
}

TEST(TorchModules, PrettyPrint) {
  EXPECT_EQ(printed(GEM(2)), "gem::GEM(N=2)");
  EXPECT_EQ(printed(EGEM(EGEMOptions(1, 1e-4))), "gem::EGEM(N=1, eps=1e-4, learnable_eps=false)");
  EXPECT_EQ(printed(SEGEM(SEGEMOptions(3, 0.25))), "gem::SEGEM(N=3, eps=0.25, learnable_eps=false)");
  EXPECT_EQ(printed(EGEM()), "gem::EGEM(N=1, eps=1e-4, learnable_eps=false)");
  // Learnable: the value printed is exp(log_eps) in float32, shortest form.
  EXPECT_EQ(printed(EGEM(EGEMOptions(2, 0.5).learnable_eps(true))), "gem::EGEM(N=2, eps=0.5, learnable_eps=true)");
  EXPECT_EQ(printed(Activation("egem:N=1,eps=1e-4")), "gem::Activation(egem:N=1,eps=1e-4)");
  EXPECT_EQ(printed(Activation("gelu")), "gem::Activation(gelu)");
  torch::nn::Sequential seq(torch::nn::Linear(3, 4), EGEM(1, 1e-4), torch::nn::Linear(4, 1));
  std::ostringstream s;
  s << *seq;
  EXPECT_THAT(s.str(), ::testing::HasSubstr("(1): gem::EGEM(N=1, eps=1e-4, learnable_eps=false)"));
}

TEST(TorchModules, BadOptionsThrowClearly) {
  auto message = [](auto make) -> std::string {
    try {
      make();
    } catch (const c10::ValueError& e) {
      return e.what_without_backtrace();
    }
    return "no error";
  };
  EXPECT_EQ(message([] { EGEM(0, 1e-4); }), "gem::EGEM: GEM order N must be an integer in [1, 8], got 0");
  EXPECT_EQ(message([] { SEGEM(1, -1.0); }), "gem::SEGEM: SE-GEM eps must be finite and > 0, got -1");
  EXPECT_EQ(message([] { GEM(9); }), "gem::GEM: GEM order N must be an integer in [1, 8], got 9");
  EXPECT_THAT(message([] { EGEM(EGEMOptions(1, 1e-60).learnable_eps(true)); }),
              ::testing::HasSubstr("learnable eps is stored as log_eps in float32"));
  EXPECT_THAT(message([] { Activation("egem:N=1"); }), ::testing::HasSubstr("gem::Activation: activation spec"));
}

TEST(TorchModules, ForwardMatchesTheOps) {
  const at::Tensor x = torch::linspace(-3, 3, 61);
  EXPECT_TRUE(torch::equal(GEM(2)->forward(x), ops::forward(x, make_gem(2))));
  EXPECT_TRUE(torch::equal(EGEM(1, 1e-2)->forward(x), ops::forward(x, make_egem(1, 1e-2))));
  EXPECT_TRUE(torch::equal(SEGEM(2, 0.3)->forward(x), ops::forward(x, make_segem(2, 0.3))));
  // Learnable eps gives the fixed-eps result at the same eps value.
  EGEM learn(EGEMOptions(1, 0.5).learnable_eps(true));
  EXPECT_TRUE(torch::allclose(learn->forward(x), ops::forward(x, make_egem(1, learn->eps())), 0, 0));
  for (const char* spec : {"relu", "gelu", "silu", "mish", "elu", "leaky_relu", "gem:N=2", "segem:N=1,eps=1e-4"})
    EXPECT_TRUE(torch::equal(Activation(spec)->forward(x), ops::activation(x, spec))) << spec;
}

TEST(TorchModules, LearnableEpsIsAParameterWithAGradient) {
  SEGEM act(SEGEMOptions(1, 0.1).learnable_eps(true));
  const auto params = act->named_parameters();
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params.begin()->key(), "log_eps");
  EXPECT_EQ(EGEM(1, 0.1)->parameters().size(), 0u);
  const at::Tensor x = torch::linspace(-2, 0, 21, torch::kFloat);
  act->forward(x).sum().backward();
  const at::Tensor g = act->log_eps.grad();
  ASSERT_TRUE(g.defined());
  // d/dlog_eps = eps * sum dSE/deps, and dSE/deps < 0 for x < 0.
  EXPECT_LT(g.item<double>(), 0.0);
}

TEST(TorchModules, CloneKeepsTheLearnedEps) {
  EGEM act(EGEMOptions(2, 0.1).learnable_eps(true));
  {
    torch::NoGradGuard no_grad;
    act->log_eps.fill_(std::log(0.03));
  }
  auto copy = std::dynamic_pointer_cast<ops::EGEMImpl>(act->clone());
  ASSERT_TRUE(copy);
  EXPECT_FLOAT_EQ(static_cast<float>(copy->eps()), static_cast<float>(act->eps()));
  EXPECT_NE(copy->log_eps.data_ptr(), act->log_eps.data_ptr());
}

TEST(TorchModules, SaveAndLoadIncludingLearnableEps) {
  torch::manual_seed(8);
  torch::nn::Sequential model(torch::nn::Linear(4, 8), EGEM(EGEMOptions(1, 0.1).learnable_eps(true)),
                              torch::nn::Linear(8, 8), SEGEM(SEGEMOptions(2, 0.2).learnable_eps(true)),
                              torch::nn::Linear(8, 2), GEM(1), Activation("gelu"));
  {
    torch::NoGradGuard no_grad;
    model[1]->named_parameters()["log_eps"].fill_(std::log(0.02));
    model[3]->named_parameters()["log_eps"].fill_(std::log(0.7));
  }
  const std::string path = temp_path("model.pt");
  torch::save(model, path);

  torch::nn::Sequential loaded(torch::nn::Linear(4, 8), EGEM(EGEMOptions(1, 0.1).learnable_eps(true)),
                               torch::nn::Linear(8, 8), SEGEM(SEGEMOptions(2, 0.2).learnable_eps(true)),
                               torch::nn::Linear(8, 2), GEM(1), Activation("gelu"));
  torch::load(loaded, path);
  std::remove(path.c_str());
  EXPECT_FLOAT_EQ(static_cast<float>(loaded[1]->as<ops::EGEMImpl>()->eps()), 0.02f);
  EXPECT_FLOAT_EQ(static_cast<float>(loaded[3]->as<ops::SEGEMImpl>()->eps()), 0.7f);
  const at::Tensor x = torch::randn({5, 4});
  EXPECT_TRUE(torch::equal(model->forward(x), loaded->forward(x)));
}

// A small classifier with learnable-eps activations fits a synthetic problem: two interleaved
// spirals, 256 points, full batch, Adam. Deterministic (fixed seed, one thread).
TEST(TorchModules, SmallModelTrains) {
  const int previous_threads = at::get_num_threads();
  at::set_num_threads(1);
  torch::manual_seed(9);
  const int64_t n = 256;
  const at::Tensor t = torch::linspace(0.5, 3.5, n / 2);
  const at::Tensor r = t / 3.5;
  const at::Tensor a = torch::stack({r * torch::cos(t * 2), r * torch::sin(t * 2)}, 1);
  const at::Tensor inputs = torch::cat({a, -a}, 0);
  const at::Tensor labels = torch::cat({torch::zeros({n / 2}, torch::kLong), torch::ones({n / 2}, torch::kLong)});

  torch::nn::Sequential model(torch::nn::Linear(2, 32), EGEM(EGEMOptions(1, 0.01).learnable_eps(true)),
                              torch::nn::Linear(32, 32), SEGEM(SEGEMOptions(1, 0.01).learnable_eps(true)),
                              torch::nn::Linear(32, 2));
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.02));
  auto loss_now = [&] { return torch::nn::functional::cross_entropy(model->forward(inputs), labels); };
  const double initial = loss_now().item<double>();
  const double eps_before = model[1]->as<ops::EGEMImpl>()->eps();
  for (int step = 0; step < 300; ++step) {
    optimizer.zero_grad();
    const at::Tensor loss = loss_now();
    loss.backward();
    optimizer.step();
  }
  torch::NoGradGuard no_grad;
  const double final_loss = loss_now().item<double>();
  const double accuracy = (model->forward(inputs).argmax(1) == labels).to(at::kFloat).mean().item<double>();
  at::set_num_threads(previous_threads);
  EXPECT_LT(final_loss, 0.25 * initial) << "initial " << initial << " final " << final_loss;
  EXPECT_GT(accuracy, 0.95);
  EXPECT_NE(model[1]->as<ops::EGEMImpl>()->eps(), eps_before);  // eps was learned
}

}  // namespace
}  // namespace gem
