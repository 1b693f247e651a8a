#include "src/train/models/mlp.h"

#include <torch/torch.h>

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

MlpImpl::MlpImpl(const ModelOptions& o) {
  layers_ = register_module("layers", mlp_layers(o.in_channels * o.in_height * o.in_width, o));
  he_initialise(*this);
}

torch::Tensor MlpImpl::forward(const torch::Tensor& images) { return layers_->forward(images.flatten(1)); }

}  // namespace gem::train
