// The language models of the harness: a GPT-2-style decoder (next-token prediction) and a
// BERT-style encoder (masked tokens), both pre-LayerNorm transformers with learned positions,
// tied input/output embeddings and the feed-forward activation from a spec string
// (feed_forward_spec.h, gated glu-<spec> forms included). forward() maps token ids (B x T,
// int64) to logits (B x T x vocab).
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/train/models/model_options.h"

namespace gem::train {

struct TransformerOptions {
  std::string arch = "gpt";           // gpt (causal decoder), bert (bidirectional encoder)
  std::string activation = "gelu";    // feed-forward activation, glu-<spec> for the gated form
  int64_t vocab_size = 8000;
  int64_t context = 128;              // positions (the longest input)
  int64_t layers = 4, heads = 4, embed_dim = 128;
  int64_t mlp_ratio = 4;              // feed-forward width = mlp_ratio * embed_dim (gated: 2/3 of it, below)
  double dropout = 0.0;               // on embeddings, attention weights and residual branches
  std::string init_gain = kDefaultInitGain;  // the feed-forward input projection (init_gain.h)
};

const std::vector<std::string>& language_model_names();
bool is_language_model(const std::string& arch);

/// Throws std::invalid_argument naming the option, its value and what is allowed.
void validate(const TransformerOptions& options);

/// Feed-forward hidden width. Plain: mlp_ratio * embed_dim. Gated: two input projections
/// instead of one, so 2/3 of that rounded up to a multiple of 8, which keeps the parameter
/// count (and the FLOPs) of the plain form (as in Shazeer 2020 and LLaMA).
int64_t feed_forward_width(const TransformerOptions& options);

class LanguageModelImpl : public torch::nn::Module {
 public:
  /// Token ids (B x T, T <= context) -> logits (B x T x vocab_size).
  virtual torch::Tensor forward(const torch::Tensor& tokens) = 0;
  virtual bool causal() const = 0;
};
using LanguageModel = std::shared_ptr<LanguageModelImpl>;

/// A freshly initialised model (GPT-2's scheme: normal(0, 0.02) weights, residual output
/// projections scaled by 1/sqrt(2 layers), zero biases; the feed-forward input projections as
/// options.init_gain says, init_gain.h); uses torch's global generator.
LanguageModel make_language_model(const TransformerOptions& options);

/// The parameter count of make_language_model(options), from the shapes alone.
int64_t language_model_parameters(const TransformerOptions& options);

}  // namespace gem::train
