// What defines a model of the harness (make_model, classifier.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gem::train {

/// --init-gain's value for each model's own initialisation (init_gain.h).
inline constexpr const char* kDefaultInitGain = "default";

struct ModelOptions {
  std::string arch = "cnn";          // mlp, cnn, resnet
  std::string activation = "relu";   // any spec (include/gem/spec.h)
  int64_t depth = 20;                // resnet: 6n+2 (20, 32, 44, 56, 110; 8 is the smallest)
  int64_t width = 16;                // cnn: channels of the first convolution (the second has 2x);
                                     // resnet: channels of the first stage (then 2x, 4x)
  std::vector<int64_t> hidden{128};  // mlp: hidden layer widths; cnn: fully connected layers after
                                     // the convolutions (resnet: unused)
  int64_t in_channels = 1, in_height = 28, in_width = 28, classes = 10;
  std::string init_gain = kDefaultInitGain;  // the layers that feed an activation (init_gain.h)
};

const std::vector<std::string>& model_names();

/// Throws std::invalid_argument saying which option is wrong and what is allowed.
void validate(const ModelOptions& options);

}  // namespace gem::train
