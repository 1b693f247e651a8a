// The activation of a model's feed-forward layers: an activation spec (include/gem/spec.h), or
// its gated linear unit form "glu-<spec>", f(xW) * (xV) (Dauphin et al. 2017; Shazeer 2020:
// GEGLU is glu-gelu, SwiGLU is glu-silu). The harness, its recipes, sweeps and reports all
// name activations this way; only the transformer models accept the gated form.
#pragma once

#include <stdexcept>
#include <string>

#include "gem/spec.h"

namespace gem::train {

struct FeedForwardSpec {
  bool gated = false;
  ActivationSpec activation;

  static constexpr const char* kGluPrefix = "glu-";

  /// Throws std::invalid_argument with the spec's own message (and the glu- form explained).
  static FeedForwardSpec parse(const std::string& text) {
    FeedForwardSpec s;
    const std::string prefix = kGluPrefix;
    std::string rest = text;
    if (text.compare(0, prefix.size(), prefix) == 0) {
      s.gated = true;
      rest = text.substr(prefix.size());
    }
    try {
      s.activation = ActivationSpec::parse(rest);
    } catch (const std::invalid_argument& e) {
      if (!s.gated) throw;
      throw std::invalid_argument("gated form " + quoted_excerpt(text) + " (glu-<activation spec>): " + e.what());
    }
    return s;
  }

  /// Canonical: "glu-" + the activation's canonical spec when gated.
  std::string to_string() const { return (gated ? std::string(kGluPrefix) : std::string()) + activation.to_string(); }
};

/// The canonical form of `text` (throws like parse).
inline std::string canonical_feed_forward(const std::string& text) { return FeedForwardSpec::parse(text).to_string(); }

}  // namespace gem::train
