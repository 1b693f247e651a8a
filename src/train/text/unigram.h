// The baseline every language model must beat: a unigram model of the training ids, which knows
// token frequencies and nothing about context. Its perplexity puts a model's validation
// perplexity in scale (a model at the unigram level has learned no context at all).
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace gem::train {

/// Perplexity of `val` under the add-one (Laplace) smoothed unigram model of `train`:
/// p(v) = (count_train(v) + 1) / (len(train) + vocab_size), result exp(-mean_i log p(val_i)).
/// Equals vocab_size when every id is equally frequent in train (or train is empty). Both are 1-D
/// integer tensors with ids in [0, vocab_size); throws std::invalid_argument otherwise or for an
/// empty val.
double unigram_perplexity(const torch::Tensor& train, const torch::Tensor& val, int64_t vocab_size);

}  // namespace gem::train
