// The models of the harness: image classifiers returning logits (N x classes). Each takes its
// activation from a spec string (include/gem/spec.h) and uses ProbedActivation for every
// activation layer, so the dead-unit probe sees all of them.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/train/models/model_options.h"

namespace gem::train {

class ClassifierImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& images) = 0;
};
using Classifier = std::shared_ptr<ClassifierImpl>;

/// A freshly initialised model (uses torch's global generator: seed it first).
Classifier make_model(const ModelOptions& options);

/// He et al. (2015) initialisation of every Conv2d and Linear below `model`: weights normal with
/// variance 2 / fan_in, biases 0. torch's default (uniform, variance 1 / (3 fan_in)) shrinks the
/// signal layer by layer for activations that are flat near 0 (GEM_N(x) ~ x^(2N+1)), and a
/// network without normalisation layers then does not train at all.
void he_initialise(torch::nn::Module& model);

/// Parameters (weights and biases, not buffers).
int64_t parameter_count(const torch::nn::Module& model);

}  // namespace gem::train
