#include "src/train/models/language_model.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "gem/quoted.h"
#include "src/train/models/feed_forward_spec.h"
#include "src/train/models/init_gain.h"
#include "src/train/models/transformer_block.h"

namespace gem::train {
namespace {

// Token and position embeddings, the blocks, a final LayerNorm and the output layer tied to
// the token embedding (GPT-2 and BERT both tie it; BERT adds an output bias).
class TransformerLmImpl : public LanguageModelImpl {
 public:
  explicit TransformerLmImpl(const TransformerOptions& o) : causal_(o.arch == "gpt"), context_(o.context) {
    tokens_ = register_module("tokens", torch::nn::Embedding(o.vocab_size, o.embed_dim));
    positions_ = register_module("positions", torch::nn::Embedding(o.context, o.embed_dim));
    dropout_ = register_module("dropout", torch::nn::Dropout(o.dropout));
    blocks_ = register_module("blocks", torch::nn::ModuleList());
    for (int64_t i = 0; i < o.layers; ++i) blocks_->push_back(TransformerBlock(o, causal_));
    final_norm_ = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.embed_dim})));
    if (!causal_) output_bias_ = register_parameter("output_bias", torch::zeros({o.vocab_size}));
    initialise(o);
  }

  torch::Tensor forward(const torch::Tensor& ids) override {
    TORCH_CHECK(ids.dim() == 2 && ids.scalar_type() == torch::kLong,
                "language model input must be B x T token ids (int64), got a ", ids.dim(), "-dimensional ",
                ids.scalar_type(), " tensor");
    TORCH_CHECK(ids.size(1) <= context_, "language model input of ", ids.size(1), " tokens exceeds the context of ",
                context_);
    const torch::Tensor where = torch::arange(ids.size(1), torch::TensorOptions().dtype(torch::kLong).device(ids.device()));
    torch::Tensor x = dropout_->forward(tokens_->forward(ids) + positions_->forward(where));
    for (const auto& block : *blocks_) x = block->as<TransformerBlockImpl>()->forward(x);
    x = final_norm_->forward(x);
    torch::Tensor logits = torch::matmul(x, tokens_->weight.t());
    if (output_bias_.defined()) logits = logits + output_bias_;
    return logits;
  }

  bool causal() const override { return causal_; }

 private:
  void initialise(const TransformerOptions& o) {
    torch::NoGradGuard no_grad;
    for (auto& m : modules(/*include_self=*/false)) {
      if (auto* linear = m->as<torch::nn::Linear>()) {
        torch::nn::init::normal_(linear->weight, 0.0, 0.02);
        if (linear->bias.defined()) torch::nn::init::zeros_(linear->bias);
      } else if (auto* embedding = m->as<torch::nn::Embedding>()) {
        torch::nn::init::normal_(embedding->weight, 0.0, 0.02);
      }
    }
    // GPT-2: each residual branch's output layer is scaled down so the residual stream's
    // variance does not grow with depth.
    const double residual_std = 0.02 / std::sqrt(2.0 * static_cast<double>(o.layers));
    for (const auto& block : *blocks_) {
      const auto* b = block->as<TransformerBlockImpl>();
      for (auto& linear : b->residual_projections()) torch::nn::init::normal_(linear->weight, 0.0, residual_std);
      apply_init_gain(b->feed_forward_input()->weight, o.init_gain, o.activation, torch_ext::FanMode::fan_in);
    }
  }

  bool causal_;
  int64_t context_;
  torch::nn::Embedding tokens_{nullptr}, positions_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::LayerNorm final_norm_{nullptr};
  torch::Tensor output_bias_;
};

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

}  // namespace

const std::vector<std::string>& language_model_names() {
  static const std::vector<std::string> names{"gpt", "bert"};
  return names;
}

bool is_language_model(const std::string& arch) {
  const auto& names = language_model_names();
  return std::find(names.begin(), names.end(), arch) != names.end();
}

void validate(const TransformerOptions& o) {
  require(is_language_model(o.arch), "unknown language model " + quoted_excerpt(o.arch) + "; known: gpt, bert");
  FeedForwardSpec::parse(o.activation);  // throws with the reason
  require(o.vocab_size >= 2, "vocab_size must be >= 2, got " + std::to_string(o.vocab_size));
  require(o.context >= 1, "context must be >= 1, got " + std::to_string(o.context));
  require(o.layers >= 1, "layers must be >= 1, got " + std::to_string(o.layers));
  require(o.heads >= 1 && o.embed_dim >= 1 && o.embed_dim % o.heads == 0,
          "embed_dim (" + std::to_string(o.embed_dim) + ") must be a positive multiple of heads (" +
              std::to_string(o.heads) + ")");
  require(o.mlp_ratio >= 1, "mlp_ratio must be >= 1, got " + std::to_string(o.mlp_ratio));
  require(o.dropout >= 0 && o.dropout < 1, "dropout must be in [0, 1)");
}

int64_t feed_forward_width(const TransformerOptions& o) {
  const int64_t plain = o.mlp_ratio * o.embed_dim;
  if (!FeedForwardSpec::parse(o.activation).gated) return plain;
  return (2 * plain / 3 + 7) / 8 * 8;
}

LanguageModel make_language_model(const TransformerOptions& o) {
  validate(o);
  return std::make_shared<TransformerLmImpl>(o);
}

int64_t language_model_parameters(const TransformerOptions& o) {
  validate(o);
  const int64_t d = o.embed_dim, h = feed_forward_width(o);
  const bool gated = FeedForwardSpec::parse(o.activation).gated;
  const int64_t attention = (d * 3 * d + 3 * d) + (d * d + d);
  const int64_t feed_forward = (gated ? 2 : 1) * (d * h + h) + (h * d + d);
  const int64_t block = 2 * (2 * d) + attention + feed_forward;  // two LayerNorms
  const int64_t output_bias = o.arch == "bert" ? o.vocab_size : 0;
  return o.vocab_size * d + o.context * d + o.layers * block + 2 * d + output_bias;
}

}  // namespace gem::train
