// An activation layer (any spec, through gem::torch_ext::Activation) that can record which of
// its units pass gradient, for the dead-unit metric.
//
// Dead unit (docs/training.md): a unit is one channel of an activation layer (dim 1: a feature of
// a fully connected layer, a feature map of a convolution, all positions together). While the
// probe is on, every forward also computes f'(x) at every element of its input (by autograd of
// the activation alone, so it is the derivative the training backward uses, f'(0) = 0 for ReLU
// included). A unit is dead for the probed pass when f'(x) == 0 exactly at every element of that
// channel in every batch: no gradient can reach the weights in front of it through any input of
// the pass.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gem/torch/modules.h"

namespace gem::train {

class ProbedActivationImpl : public torch::nn::Module {
 public:
  explicit ProbedActivationImpl(const std::string& spec);

  torch::Tensor forward(const torch::Tensor& x);

  /// f(a) * b for x = [a | b] along the last dimension (a gated feed-forward): the fused op
  /// (gem::glu) except while probing, when f(a) is probed as forward probes it.
  torch::Tensor gated(const torch::Tensor& x);

  /// Starts a probed pass (forgets the previous one) / ends it.
  void start_probe();
  void stop_probe() { probing_ = false; }

  /// Units seen by the last probed pass (0 before any), and how many of them passed no gradient.
  int64_t units() const;
  int64_t dead_units() const;
  /// The last probed pass's per-channel mask (bool; undefined before any), to combine with others'.
  torch::Tensor& alive() { return alive_; }

 private:
  gem::torch_ext::Activation act_{nullptr};
  bool probing_ = false;
  torch::Tensor alive_;  // bool per channel: some element had f'(x) != 0
};
TORCH_MODULE(ProbedActivation);

/// Every ProbedActivation inside `model`, in registration order.
std::vector<std::shared_ptr<ProbedActivationImpl>> activation_layers(torch::nn::Module& model);

/// The dead units of one evaluation pass over every activation layer of a model: probing starts
/// at construction (when `on`), finish() ends it and sums the layers.
class DeadUnitProbe {
 public:
  DeadUnitProbe(torch::nn::Module& model, bool on);
  struct Count {
    bool measured = false;
    int64_t dead_units = 0, units = 0;
  };
  /// Ends the pass. combine (may be empty) gets each layer's per-channel "passed gradient" mask
  /// as float32 (1 alive, 0 dead) and may replace it in place: the elementwise maximum over the
  /// ranks of a distributed evaluation, so a unit is dead only where it is dead on every rank.
  Count finish(const std::function<void(std::vector<torch::Tensor>&)>& combine = {});

 private:
  std::vector<std::shared_ptr<ProbedActivationImpl>> layers_;
  bool on_;
};

}  // namespace gem::train
