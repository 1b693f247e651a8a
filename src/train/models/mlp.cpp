#include "src/train/models/mlp.h"

#include <torch/torch.h>

#include "src/train/models/probed_activation.h"

namespace gem::train {

MlpImpl::MlpImpl(const ModelOptions& o) {
  torch::nn::Sequential layers;
  int64_t in = o.in_channels * o.in_height * o.in_width;
  for (int64_t width : o.hidden) {
    layers->push_back(torch::nn::Linear(in, width));
    layers->push_back(ProbedActivation(o.activation));
    in = width;
  }
  layers->push_back(torch::nn::Linear(in, o.classes));
  layers_ = register_module("layers", layers);
  he_initialise(*this);
}

torch::Tensor MlpImpl::forward(const torch::Tensor& images) { return layers_->forward(images.flatten(1)); }

}  // namespace gem::train
