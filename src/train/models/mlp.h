// Multilayer perceptron: flatten, then [Linear, activation] per hidden width, then Linear to
// the classes.
#pragma once

#include <torch/nn/modules/container/sequential.h>

#include "src/train/models/classifier.h"

namespace gem::train {

/// [Linear, activation] per hidden width from `in` features, then Linear to the classes: the
/// MLP itself, and the head of the CNNs.
torch::nn::Sequential mlp_layers(int64_t in, const ModelOptions& options);

/// --init-gain (init_gain.h) on mlp_layers' hidden layers (not the last, which feeds the loss).
void init_hidden_layers(const torch::nn::Sequential& layers, const ModelOptions& options);

class MlpImpl : public ClassifierImpl {
 public:
  explicit MlpImpl(const ModelOptions& options);
  torch::Tensor forward(const torch::Tensor& images) override;

 private:
  torch::nn::Sequential layers_{nullptr};
};

}  // namespace gem::train
