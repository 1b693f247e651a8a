#include "src/train/models/small_cnn.h"

#include <torch/torch.h>

#include "src/train/models/init_gain.h"
#include "src/train/models/mlp.h"

namespace gem::train {

SmallCnnImpl::SmallCnnImpl(const ModelOptions& o) {
  const int64_t w = o.width;
  conv1_ = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.in_channels, w, 3).padding(1)));
  act1_ = register_module("act1", ProbedActivation(o.activation));
  conv2_ = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(w, 2 * w, 3).padding(1)));
  act2_ = register_module("act2", ProbedActivation(o.activation));
  head_ = register_module("head", mlp_layers(2 * w * (o.in_height / 4) * (o.in_width / 4), o));
  he_initialise(*this);
  for (const auto& conv : {conv1_, conv2_})
    apply_init_gain(conv->weight, o.init_gain, o.activation, torch_ext::FanMode::fan_in);
  init_hidden_layers(head_, o);
}

torch::Tensor SmallCnnImpl::forward(const torch::Tensor& images) {
  torch::Tensor x = torch::max_pool2d(act1_->forward(conv1_->forward(images)), 2);
  x = torch::max_pool2d(act2_->forward(conv2_->forward(x)), 2);
  return head_->forward(x.flatten(1));
}

}  // namespace gem::train
