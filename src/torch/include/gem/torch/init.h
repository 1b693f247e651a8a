// Initialisation for the activations of the GEM family and the baselines: PyTorch's
// kaiming_normal_ with the gain computed from the activation itself (include/gem/gaussian_moments.h)
// instead of ReLU's sqrt(2):
//
//   gem::torch_ext::kaiming_normal_(linear->weight, "gem:N=1");             // fan_in, forward gain
//   gem::torch_ext::kaiming_normal_(conv->weight, "egem:N=1,eps=1e-4", FanMode::fan_out);
//
// fan_in keeps the forward signal's variance: std = gain / sqrt(fan_in), gain^2 E[f(z)^2] = 1.
// fan_out keeps the gradients' variance: std = gain_backward / sqrt(fan_out), with
// gain_backward^2 E[f'(z)^2] = 1. For ReLU both gains are sqrt(2), so both modes give PyTorch's
// kaiming_normal_(w, 0, mode, kReLU). Python: gem.nn.init.kaiming_normal_.
#pragma once

#include <torch/types.h>

#include <string>

namespace gem::torch_ext {

// (torch::nn::init::FanModeType is a c10::variant in LibTorch 1.13 and a std::variant in 2.x.)
enum class FanMode { fan_in, fan_out };

/// The forward gain of an activation spec (PyTorch's calculate_gain convention; sqrt(2) for
/// "relu"). Throws std::invalid_argument (the spec's own message) for a bad spec.
double init_gain(const std::string& spec);

/// The backward gain, 1 / sqrt(E[f'(z)^2]).
double init_gain_backward(const std::string& spec);

/// Fills `weight` (at least 2-dimensional) in place from N(0, std^2), as above; returns it.
torch::Tensor kaiming_normal_(torch::Tensor weight, const std::string& spec, FanMode mode = FanMode::fan_in);

/// The same with a gain given as a number (for `--init-gain 1.7`).
torch::Tensor kaiming_normal_(torch::Tensor weight, double gain, FanMode mode = FanMode::fan_in);

}  // namespace gem::torch_ext
