#include "src/train/models/model_options.h"

#include <algorithm>
#include <stdexcept>

#include "gem/quoted.h"
#include "gem/spec.h"

namespace gem::train {

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names{"mlp", "cnn", "resnet"};
  return names;
}

void validate(const ModelOptions& o) {
  const auto& names = model_names();
  if (std::find(names.begin(), names.end(), o.arch) == names.end())
    throw std::invalid_argument("unknown model " + quoted_excerpt(o.arch) +
                                "; known: mlp, cnn, resnet (images), gpt, bert (text)");
  ActivationSpec::parse(o.activation);  // throws with the reason
  if (o.in_channels <= 0 || o.in_height <= 0 || o.in_width <= 0 || o.classes <= 1)
    throw std::invalid_argument("model input must have channels, height, width > 0 and classes > 1");
  for (int64_t h : o.hidden)
    if (h <= 0) throw std::invalid_argument("hidden layer widths must be > 0, got " + std::to_string(h));
  if (o.arch == "cnn" || o.arch == "resnet") {
    if (o.width <= 0) throw std::invalid_argument("model width must be > 0, got " + std::to_string(o.width));
  }
  if (o.arch == "cnn" && (o.in_height < 4 || o.in_width < 4))
    throw std::invalid_argument("the small CNN pools twice by 2: inputs must be at least 4x4");
  if (o.arch == "resnet" && (o.depth < 8 || (o.depth - 2) % 6 != 0))
    throw std::invalid_argument("ResNet depth must be 6n+2 with n >= 1 (8, 20, 32, 44, 56, 110), got " +
                                std::to_string(o.depth));
}

}  // namespace gem::train
