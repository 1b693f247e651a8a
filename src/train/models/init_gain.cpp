#include "src/train/models/init_gain.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "gem/quoted.h"
#include "src/train/models/feed_forward_spec.h"

namespace gem::train {
namespace {

// The gain a decimal number names ("1.7", "2", "1e0"), or 0 when the text is anything else:
// strtod alone would also take " 2", "0x2" and "inf".
double gain_number(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789.eE+-") != std::string::npos ||
      !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.'))
    return 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(value) && value > 0 ? value : 0;
}

}  // namespace

void validate_init_gain(const std::string& init_gain) {
  if (init_gain == kDefaultInitGain || init_gain == "he" || init_gain == "auto" || gain_number(init_gain) > 0) return;
  throw std::invalid_argument("init_gain: unknown " + quoted_excerpt(init_gain) +
                              " (default: each model's own scheme; he: ReLU's gain sqrt(2); auto: the gain of the "
                              "activation; or a number > 0)");
}

void apply_init_gain(torch::Tensor weight, const std::string& init_gain, const std::string& activation,
                     torch_ext::FanMode mode) {
  if (init_gain == kDefaultInitGain) return;
  const FeedForwardSpec spec = FeedForwardSpec::parse(activation);
  if (spec.gated) {
    // [W | V]: the gain on the rows that feed f, gain 1 on the values, so b keeps unit variance.
    const int64_t h = weight.size(0) / 2;
    apply_init_gain(weight.narrow(0, 0, h), init_gain, spec.activation.to_string(), mode);
    torch_ext::kaiming_normal_(weight.narrow(0, h, h), 1.0, mode);
  } else if (init_gain == "he") {
    torch_ext::kaiming_normal_(std::move(weight), "relu", mode);
  } else if (init_gain == "auto") {
    torch_ext::kaiming_normal_(std::move(weight), spec.activation.to_string(), mode);
  } else {
    validate_init_gain(init_gain);
    torch_ext::kaiming_normal_(std::move(weight), gain_number(init_gain), mode);
  }
}

}  // namespace gem::train
