// --init-gain (docs/training.md, "Initialisation"): how a model initialises the layers that feed
// an activation (an MLP's and the small CNN's hidden layers, every ResNet convolution, a
// transformer's feed-forward input projection). The layers that feed the loss and the rest of
// the transformer (attention, embeddings, output projections) keep the model's own scheme.
//   default  each model's own scheme, as before the option existed: He (ReLU's gain sqrt(2)) with
//            fan_in for the MLP and the small CNN, fan_out for the ResNet; GPT-2's normal(0, 0.02)
//            for the transformers;
//   he       kaiming_normal_ with ReLU's gain sqrt(2), in the model's fan mode (fan_in for the
//            transformers);
//   auto     kaiming_normal_ with the gain of the model's own activation (include/gem/torch/init.h:
//            the forward gain for fan_in, the backward gain for fan_out; a gated glu-<spec> gives
//            its spec's gain to the rows of a and gain 1 to those of b, so E[(f(a) b)^2] =
//            E[f(a)^2] E[b^2] keeps the spec's moment);
//   <number> kaiming_normal_ with that gain.
// The gain of the activation that follows goes to the layer before it (PyTorch's practice of
// kaiming_normal_(w, nonlinearity) on the layer an activation follows); in a chain that is He's
// rule, and on a first layer it scales the pre-activations themselves. Before batch norm (every
// ResNet convolution) a weight's scale is normalised away and changes only the effective step.
#pragma once

#include <torch/types.h>

#include <string>

#include "gem/torch/init.h"
#include "src/train/models/model_options.h"

namespace gem::train {

/// Throws std::invalid_argument saying what is allowed.
void validate_init_gain(const std::string& init_gain);

/// Re-initialises `weight` of a layer that feeds `activation` (a spec, or glu-<spec>) as
/// `init_gain` says, in the model's fan `mode`; "default" leaves it as the model set it.
void apply_init_gain(torch::Tensor weight, const std::string& init_gain, const std::string& activation,
                     torch_ext::FanMode mode);

}  // namespace gem::train
