#include "src/train/models/transformer_block.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <cmath>
#include <limits>
#include <vector>

#include "src/train/models/feed_forward_spec.h"

// PyTorch 2 has fused (flash / memory-efficient) attention; LibTorch 1.13 has not. Both paths
// compute softmax(q k^T / sqrt(d) + mask) v.
#if TORCH_VERSION_MAJOR >= 2
#define GEM_HAVE_FUSED_ATTENTION 1
#else
#define GEM_HAVE_FUSED_ATTENTION 0
#endif

namespace gem::train {

SelfAttentionImpl::SelfAttentionImpl(const TransformerOptions& o, bool causal)
    : heads_(o.heads), dropout_(o.dropout), causal_(causal) {
  qkv_ = register_module("qkv", torch::nn::Linear(o.embed_dim, 3 * o.embed_dim));
  proj_ = register_module("proj", torch::nn::Linear(o.embed_dim, o.embed_dim));
  attention_dropout_ = register_module("attention_dropout", torch::nn::Dropout(o.dropout));
  residual_dropout_ = register_module("residual_dropout", torch::nn::Dropout(o.dropout));
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), D = C / heads_;
  // B x T x 3C -> 3 x B x heads x T x D
  const auto qkv = qkv_->forward(x).view({B, T, 3, heads_, D}).permute({2, 0, 3, 1, 4});
  const torch::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
  torch::Tensor y;
#if GEM_HAVE_FUSED_ATTENTION
  y = at::scaled_dot_product_attention(q, k, v, {}, is_training() ? dropout_ : 0.0, causal_);
#else
  torch::Tensor scores = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(D)));
  if (causal_) {
    // Position t attends to positions <= t only: the upper triangle is masked out.
    const auto future = torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(x.device())).triu(1);
    scores = scores.masked_fill(future, -std::numeric_limits<float>::infinity());
  }
  const torch::Tensor weights = attention_dropout_->forward(torch::softmax(scores, -1));
  y = torch::matmul(weights, v);
#endif
  y = y.transpose(1, 2).contiguous().view({B, T, C});
  return residual_dropout_->forward(proj_->forward(y));
}

FeedForwardImpl::FeedForwardImpl(const TransformerOptions& o) {
  const FeedForwardSpec spec = FeedForwardSpec::parse(o.activation);
  const int64_t hidden = feed_forward_width(o);
  gated_ = spec.gated;
  // Gated: one projection of twice the width, [a | b], for the fused f(a) * b.
  hidden_ = register_module("hidden", torch::nn::Linear(o.embed_dim, (gated_ ? 2 : 1) * hidden));
  act_ = register_module("act", ProbedActivation(spec.activation.to_string()));
  output_ = register_module("output", torch::nn::Linear(hidden, o.embed_dim));
  dropout_ = register_module("dropout", torch::nn::Dropout(o.dropout));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  const torch::Tensor pre = hidden_->forward(x);
  // The activation sees (tokens x features), so the dead-unit probe counts hidden features.
  const torch::Tensor rows = pre.reshape({-1, pre.size(-1)});
  torch::Tensor h = gated_ ? act_->gated(rows) : act_->forward(rows);
  std::vector<int64_t> shape = pre.sizes().vec();
  shape.back() = h.size(-1);
  return dropout_->forward(output_->forward(h.view(shape)));
}

TransformerBlockImpl::TransformerBlockImpl(const TransformerOptions& o, bool causal) {
  ln1_ = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.embed_dim})));
  attention_ = register_module("attention", SelfAttention(o, causal));
  ln2_ = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.embed_dim})));
  feed_forward_ = register_module("feed_forward", FeedForward(o));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x) {
  const torch::Tensor h = x + attention_->forward(ln1_->forward(x));
  return h + feed_forward_->forward(ln2_->forward(h));
}

torch::nn::Linear TransformerBlockImpl::feed_forward_input() const { return feed_forward_->input_projection(); }

std::vector<torch::nn::Linear> TransformerBlockImpl::residual_projections() const {
  return {attention_->output_projection(), feed_forward_->output_projection()};
}

}  // namespace gem::train
