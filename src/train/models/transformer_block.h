// The pieces of the transformer models (language_model.h): multi-head self-attention (causal
// or not), the feed-forward layer (plain or gated) and the pre-LayerNorm block
//   x = x + attention(LN(x));  x = x + feed_forward(LN(x)).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "src/train/models/language_model.h"
#include "src/train/models/probed_activation.h"

namespace gem::train {

class SelfAttentionImpl : public torch::nn::Module {
 public:
  SelfAttentionImpl(const TransformerOptions& options, bool causal);
  /// x: B x T x C.
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear output_projection() const { return proj_; }

 private:
  int64_t heads_;
  double dropout_;
  bool causal_;
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr};
  torch::nn::Dropout attention_dropout_{nullptr}, residual_dropout_{nullptr};
};
TORCH_MODULE(SelfAttention);

class FeedForwardImpl : public torch::nn::Module {
 public:
  explicit FeedForwardImpl(const TransformerOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear output_projection() const { return output_; }
  /// The layer that feeds the activation (for --init-gain).
  torch::nn::Linear input_projection() const { return hidden_; }

 private:
  // f(hidden(x)) -> output, or gated: hidden(x) = [xW | xV] (one matmul of twice the width)
  // and f(xW) * (xV) -> output by the fused gem::glu.
  // (Module names are also TorchScript identifiers in checkpoints: no Python keywords.)
  torch::nn::Linear hidden_{nullptr}, output_{nullptr};
  bool gated_ = false;
  ProbedActivation act_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(FeedForward);

class TransformerBlockImpl : public torch::nn::Module {
 public:
  TransformerBlockImpl(const TransformerOptions& options, bool causal);
  torch::Tensor forward(const torch::Tensor& x);
  /// The two linear layers that write into the residual stream (scaled at initialisation).
  std::vector<torch::nn::Linear> residual_projections() const;
  /// The feed-forward layer that feeds the activation.
  torch::nn::Linear feed_forward_input() const;

 private:
  torch::nn::LayerNorm ln1_{nullptr}, ln2_{nullptr};
  SelfAttention attention_{nullptr};
  FeedForward feed_forward_{nullptr};
};
TORCH_MODULE(TransformerBlock);

}  // namespace gem::train
