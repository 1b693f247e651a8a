// Multilayer perceptron: flatten, then [Linear, activation] per hidden width, then Linear to
// the classes.
#pragma once

#include <torch/nn/modules/container/sequential.h>

#include "src/train/models/classifier.h"

namespace gem::train {

class MlpImpl : public ClassifierImpl {
 public:
  explicit MlpImpl(const ModelOptions& options);
  torch::Tensor forward(const torch::Tensor& images) override;

 private:
  torch::nn::Sequential layers_{nullptr};
};

}  // namespace gem::train
