#include "src/train/models/resnet.h"

#include <torch/torch.h>

#include "src/train/models/init_gain.h"

namespace gem::train {
namespace {

torch::nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride, const std::string& activation)
    : in_channels_(in_channels), out_channels_(out_channels), stride_(stride) {
  conv1_ = register_module("conv1", conv3x3(in_channels, out_channels, stride));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(out_channels));
  act1_ = register_module("act1", ProbedActivation(activation));
  conv2_ = register_module("conv2", conv3x3(out_channels, out_channels, 1));
  bn2_ = register_module("bn2", torch::nn::BatchNorm2d(out_channels));
  act2_ = register_module("act2", ProbedActivation(activation));
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = bn2_->forward(conv2_->forward(act1_->forward(bn1_->forward(conv1_->forward(x)))));
  torch::Tensor shortcut = x;
  if (stride_ != 1) shortcut = shortcut.slice(2, 0, c10::nullopt, stride_).slice(3, 0, c10::nullopt, stride_);
  if (out_channels_ != in_channels_)
    shortcut = torch::constant_pad_nd(shortcut, {0, 0, 0, 0, 0, out_channels_ - in_channels_}, 0.0);
  return act2_->forward(y + shortcut);
}

CifarResNetImpl::CifarResNetImpl(const ModelOptions& o) {
  const int64_t n = (o.depth - 2) / 6, w = o.width;
  stem_ = register_module("stem", conv3x3(o.in_channels, w, 1));
  stem_bn_ = register_module("stem_bn", torch::nn::BatchNorm2d(w));
  stem_act_ = register_module("stem_act", ProbedActivation(o.activation));
  torch::nn::Sequential blocks;
  int64_t in = w;
  for (int64_t stage = 0; stage < 3; ++stage) {
    const int64_t out = w << stage;
    for (int64_t b = 0; b < n; ++b) {
      blocks->push_back(BasicBlock(in, out, stage > 0 && b == 0 ? 2 : 1, o.activation));
      in = out;
    }
  }
  blocks_ = register_module("blocks", blocks);
  fc_ = register_module("fc", torch::nn::Linear(in, o.classes));

  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
      apply_init_gain(conv->weight, o.init_gain, o.activation, torch_ext::FanMode::fan_out);  // each feeds BN, then f
    } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      torch::nn::init::ones_(bn->weight);
      torch::nn::init::zeros_(bn->bias);
    }
  }
}

torch::Tensor CifarResNetImpl::forward(const torch::Tensor& images) {
  torch::Tensor x = stem_act_->forward(stem_bn_->forward(stem_->forward(images)));
  x = blocks_->forward(x);
  return fc_->forward(x.mean({2, 3}));
}

}  // namespace gem::train
