// The small CNN for 28x28 (any size divisible by 4) images, as in LibTorch's MNIST example:
//   conv 3x3 (C -> w), act, max-pool 2;  conv 3x3 (w -> 2w), act, max-pool 2;
//   flatten, [Linear, act] per hidden width, Linear to the classes.
// No normalisation layers, so the activation alone shapes how gradient flows.
#pragma once

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include "src/train/models/classifier.h"
#include "src/train/models/probed_activation.h"

namespace gem::train {

class SmallCnnImpl : public ClassifierImpl {
 public:
  explicit SmallCnnImpl(const ModelOptions& options);
  torch::Tensor forward(const torch::Tensor& images) override;

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  ProbedActivation act1_{nullptr}, act2_{nullptr};
  torch::nn::Sequential head_{nullptr};
};

}  // namespace gem::train
