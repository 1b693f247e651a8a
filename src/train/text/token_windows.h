// Batches of token windows for the two language-model objectives: next-token prediction
// (GPT-2 style, causal_batch) and masked-token prediction (BERT style, masked_batch). Window
// positions and masks come from SplitMix64 streams (src/train/data/rng.h), so a step's batch is
// a function of (seed, step) and a resumed run sees the same batches.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace gem::train {

inline constexpr int64_t kIgnoreIndex = -100;  // target of positions without loss (cross_entropy's default)

struct TokenBatch {
  torch::Tensor inputs, targets;  // (B, T) int64 on the CPU; targets kIgnoreIndex where there is no loss
};

/// `count` window starts uniform in [0, tokens - window]. Throws std::invalid_argument unless
/// 1 <= window <= tokens and count >= 0.
std::vector<int64_t> random_window_starts(int64_t tokens, int64_t window, int64_t count, uint64_t seed);

/// Starts of the non-overlapping windows 0, window, 2 window, ... that fit in `tokens`; when
/// there are more than max_windows (> 0), an evenly spaced subset of max_windows of them.
/// max_windows 0: all. Throws std::invalid_argument unless 1 <= window <= tokens, max_windows >= 0.
std::vector<int64_t> eval_window_starts(int64_t tokens, int64_t window, int64_t max_windows);

/// Next-token prediction: row b reads the context + 1 tokens at starts[b]; inputs are the first
/// `context` of them, targets the last `context` (inputs shifted by one). `tokens` is 1-D
/// integer. Throws std::invalid_argument for context < 1 or a window past the end.
TokenBatch causal_batch(const torch::Tensor& tokens, const std::vector<int64_t>& starts, int64_t context);

struct MaskingOptions {
  double mask_prob = 0.15;  // chance that a position is selected for prediction
  int32_t mask_id = 0;      // Tokenizer::mask_id()
  int64_t vocab_size = 0;   // random replacements are uniform over [0, vocab_size)
};

/// Masked-token prediction (BERT): row b is the `context` tokens at starts[b]. Each position is
/// selected with probability mask_prob (one random position when none was, so every row has a
/// loss); targets hold the original id at selected positions and kIgnoreIndex elsewhere. A
/// selected input becomes mask_id with probability 0.8, a uniform random id with 0.1 and stays
/// with 0.1. Row b draws from derive_seed(seed, Stream::masking, b): the same seed gives the same
/// batch. Throws std::invalid_argument for a short `tokens`, context < 1, mask_prob outside
/// (0, 1], vocab_size < 1 or mask_id outside [0, vocab_size).
TokenBatch masked_batch(const torch::Tensor& tokens, const std::vector<int64_t>& starts, int64_t context,
                        uint64_t seed, const MaskingOptions& m);

}  // namespace gem::train
