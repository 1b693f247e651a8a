#include "src/train/models/mlp.h"

#include <torch/torch.h>

#include "src/train/models/init_gain.h"
#include "src/train/models/probed_activation.h"

namespace gem::train {

torch::nn::Sequential mlp_layers(int64_t in, const ModelOptions& o) {
  torch::nn::Sequential layers;
  for (int64_t width : o.hidden) {
    layers->push_back(torch::nn::Linear(in, width));
    layers->push_back(ProbedActivation(o.activation));
    in = width;
  }
  layers->push_back(torch::nn::Linear(in, o.classes));
  return layers;
}

void init_hidden_layers(const torch::nn::Sequential& layers, const ModelOptions& o) {
  std::vector<torch::Tensor> weights;
  for (const auto& m : layers->modules(/*include_self=*/false))
    if (auto* linear = m->as<torch::nn::Linear>()) weights.push_back(linear->weight);
  for (std::size_t i = 0; i + 1 < weights.size(); ++i)  // the last feeds the loss
    apply_init_gain(weights[i], o.init_gain, o.activation, torch_ext::FanMode::fan_in);
}

MlpImpl::MlpImpl(const ModelOptions& o) {
  layers_ = register_module("layers", mlp_layers(o.in_channels * o.in_height * o.in_width, o));
  he_initialise(*this);
  init_hidden_layers(layers_, o);
}

torch::Tensor MlpImpl::forward(const torch::Tensor& images) { return layers_->forward(images.flatten(1)); }

}  // namespace gem::train
