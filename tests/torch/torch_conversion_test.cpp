// The C++ side of what PyTorch users get from Python: one eps per channel in the modules, the
// meta device (shapes only, the same checks), and replace_activations on torch::nn models.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "gem/torch.h"
#include "common/error_of.h"

namespace gem {
namespace {

namespace ops = gem::torch_ext;

using testing::error_of;
using ::testing::HasSubstr;

// ---- One eps per channel ----------------------------------------------------------------------

TEST(TorchChannels, EachChannelIsItsOwnOneEpsCall) {
  torch::manual_seed(0);
  const at::Tensor x = torch::randn({2, 3, 4, 5}).contiguous(at::MemoryFormat::ChannelsLast);
  const at::Tensor eps = torch::tensor({0.03, 0.2, 1.5}, torch::kFloat);
  const at::Tensor y = ops::forward_eps_tensor(x, Variant::segem, 2, eps);
  EXPECT_TRUE(y.is_contiguous(at::MemoryFormat::ChannelsLast));
  for (int64_t c = 0; c < 3; ++c) {
    const at::Tensor one = ops::forward(x.select(1, c), make_segem(2, eps[c].item<float>()));
    EXPECT_TRUE(torch::equal(y.select(1, c), one)) << "channel " << c;
  }
}

TEST(TorchChannels, ModulesLearnOneEpsPerChannel) {
  ops::EGEM act(ops::EGEMOptions(1, 0.1).learnable_eps(true).num_parameters(4));
  ASSERT_EQ(act->log_eps.sizes(), (at::IntArrayRef{4}));
  EXPECT_THAT(error_of<c10::Error>([&] { act->eps(); }), HasSubstr("use eps_values()"));
  const at::Tensor x = torch::randn({8, 4, 3});
  act->forward(x).sum().backward();
  EXPECT_TRUE((act->log_eps.grad() != 0).all().item<bool>());
  ops::SEGEM last(ops::SEGEMOptions(1, 0.1).learnable_eps(true).num_parameters(3).channel_dim(-1));
  EXPECT_EQ(last->forward(torch::randn({2, 5, 3})).sizes(), (at::IntArrayRef{2, 5, 3}));
  EXPECT_THAT(error_of<c10::Error>([&] {
                last->forward(torch::randn({2, 3, 5}));
              }),
              HasSubstr("one per channel (5 along dimension 2"));
  EXPECT_THAT(error_of<c10::Error>([&] { ops::EGEM(ops::EGEMOptions(1, 0.1).num_parameters(4)); }),
              HasSubstr("learnable_eps"));
}

// ---- The meta device --------------------------------------------------------------------------

TEST(TorchMeta, OpsGiveShapesDtypesAndStridesWithoutValues) {
  const at::Tensor x = torch::empty({2, 3, 4, 5}, torch::TensorOptions().device(at::kMeta).dtype(at::kHalf))
                           .contiguous(at::MemoryFormat::ChannelsLast);
  const at::Tensor y = ops::forward(x, make_egem(1, 1e-4));
  EXPECT_TRUE(y.is_meta());
  EXPECT_EQ(y.strides(), x.strides());
  EXPECT_EQ(y.scalar_type(), at::kHalf);
  const at::Tensor eps = torch::full({3}, 0.1, torch::TensorOptions().device(at::kMeta));
  const auto [grad_x, grad_eps] = ops::eps_tensor_grads(x, x, Variant::egem, 1, eps);
  EXPECT_EQ(grad_x.strides(), x.strides());
  EXPECT_EQ(grad_eps.sizes(), eps.sizes());
  EXPECT_EQ(grad_eps.scalar_type(), at::kFloat);
  EXPECT_THAT(error_of<c10::Error>([&] { ops::forward_eps_tensor(x, Variant::egem, 1, eps.narrow(0, 0, 2)); }),
              HasSubstr("eps must hold one value or one per channel (3 along dimension 1"));
}

// (LibTorch 1.13 cannot move a module's parameters to meta: Python tests modules there.)
TEST(TorchMeta, ALearnableEpsOnAnotherDeviceIsNamed) {
  ops::EGEM act(ops::EGEMOptions(1, 1e-3).learnable_eps(true).num_parameters(4));
  const at::Tensor x = torch::empty({5, 4}, torch::TensorOptions().device(at::kMeta));
  EXPECT_THAT(error_of<c10::Error>([&] { act->forward(x); }), HasSubstr("eps is on cpu but x is on meta"));
}

// ---- replace_activations ----------------------------------------------------------------------

// A custom module holding a Sequential (LibTorch cannot put a Sequential directly in another).
struct BlockImpl : torch::nn::Module {
  explicit BlockImpl(torch::nn::Sequential body) : inner(register_module("inner", std::move(body))) {}
  at::Tensor forward(const at::Tensor& x) { return inner->forward(x); }
  torch::nn::Sequential inner;
};
TORCH_MODULE(Block);

Block dense_block() { return Block(torch::nn::Sequential(torch::nn::Linear(4, 4), torch::nn::ReLU())); }

struct HeldImpl : torch::nn::Module {
  HeldImpl() : act(register_module("act", torch::nn::ReLU())) {}
  at::Tensor forward(const at::Tensor& x) { return act->forward(x); }
  torch::nn::ReLU act;
};
TORCH_MODULE(Held);

torch::nn::Sequential nested_model() {
  torch::manual_seed(0);
  return torch::nn::Sequential(torch::nn::Linear(3, 4), torch::nn::ReLU(), dense_block(),
                               Block(torch::nn::Sequential(dense_block(), torch::nn::ReLU(), torch::nn::GELU())),
                               torch::nn::Linear(4, 2));
}

int64_t count_relus(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& child : m.modules(/*include_self=*/false)) n += ops::is_relu(*child);
  return n;
}

TEST(TorchReplaceActivations, ReachesNestedSequentialsAndForwardRunsThem) {
  torch::nn::Sequential model = nested_model();
  ASSERT_EQ(count_relus(*model), 4);
  EXPECT_EQ(ops::replace_activations(*model, "egem:N=1,eps=1e-4"), 4);
  EXPECT_EQ(count_relus(*model), 0);
  int64_t egems = 0;
  for (const auto& m : model->modules(false)) egems += dynamic_cast<ops::EGEMImpl*>(m.get()) != nullptr;
  EXPECT_EQ(egems, 4);
  // What forward calls is the replacement: the result is E-GEM's, not ReLU's.
  const at::Tensor x = torch::randn({7, 3});
  torch::nn::Sequential reference = nested_model();
  const at::Tensor relu_out = reference->forward(x);
  const at::Tensor gem_out = model->forward(x);
  EXPECT_FALSE(torch::equal(relu_out, gem_out));
  EXPECT_TRUE(torch::allclose(relu_out, gem_out, 1e-2, 1e-2));  // E-GEM with a small eps is near ReLU
  // Other types by predicate; the GELU stays unless asked for.
  EXPECT_EQ(ops::replace_activations(
                *model, "gelu",
                [](const torch::nn::Module& m) { return dynamic_cast<const torch::nn::GELUImpl*>(&m) != nullptr; }),
            1);
}

TEST(TorchReplaceActivations, ErrorsChangeNothing) {
  torch::nn::Sequential model = nested_model();
  EXPECT_THAT(error_of<c10::Error>([&] { ops::replace_activations(*model, "egem:N=1"); }), HasSubstr("needs eps"));
  EXPECT_EQ(count_relus(*model), 4);
  // A ReLU held as a member of a custom module cannot be swapped from C++: an error naming it,
  // before any other is replaced.
  torch::nn::Sequential held{torch::nn::ReLU(), Held()};
  EXPECT_THAT(error_of<c10::Error>([&] { ops::replace_activations(*held, "gelu"); }),
              HasSubstr("model.1.act is held by a module other than torch::nn::Sequential"));
  EXPECT_EQ(count_relus(*held), 2);
  torch::nn::ReLU bare;
  EXPECT_THAT(error_of<c10::Error>([&] { ops::replace_activations(*bare, "gelu"); }),
              HasSubstr("the model itself matches"));
}

TEST(TorchReplaceActivations, ModuleFor) {
  EXPECT_NE(ops::module_for("gem:N=2").ptr()->as<ops::GEMImpl>(), nullptr);
  EXPECT_NE(ops::module_for("segem:N=1,eps=0.5").ptr()->as<ops::SEGEMImpl>(), nullptr);
  EXPECT_NE(ops::module_for("mish").ptr()->as<ops::ActivationImpl>(), nullptr);
  EXPECT_THAT(error_of<c10::Error>([] { ops::module_for("swish"); }), HasSubstr("swish"));
}

}  // namespace
}  // namespace gem
