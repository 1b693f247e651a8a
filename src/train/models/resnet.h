// The CIFAR ResNets of He et al. (2016, section 4.2): depth 6n+2 = a 3x3 stem convolution,
// three stages of n basic blocks (w, 2w, 4w channels; the first block of stages 2 and 3 halves
// the resolution), global average pooling and a Linear layer. Shortcuts are identities; where
// the shape changes, option A: subsample by 2 and pad the new channels with zeros (no
// parameters), as in the paper's CIFAR experiments. Batch normalisation after every
// convolution; Kaiming-normal weights. Input: 3x32x32 (CIFAR) or 1x28x28 (MNIST-like; the
// stages then run at 28, 14 and 7 pixels).
#pragma once

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "src/train/models/classifier.h"
#include "src/train/models/probed_activation.h"

namespace gem::train {

/// conv-bn-act-conv-bn, plus the shortcut, then act.
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride, const std::string& activation);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  int64_t in_channels_, out_channels_, stride_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  ProbedActivation act1_{nullptr}, act2_{nullptr};
};
TORCH_MODULE(BasicBlock);

class CifarResNetImpl : public ClassifierImpl {
 public:
  explicit CifarResNetImpl(const ModelOptions& options);
  torch::Tensor forward(const torch::Tensor& images) override;

 private:
  torch::nn::Conv2d stem_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  ProbedActivation stem_act_{nullptr};
  torch::nn::Sequential blocks_{nullptr};
  torch::nn::Linear fc_{nullptr};
};

}  // namespace gem::train
