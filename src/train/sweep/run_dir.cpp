#include "src/train/sweep/run_dir.h"

#include "gem/spec.h"
#include "src/train/models/feed_forward_spec.h"

namespace gem::train {

std::string activation_slug(const std::string& spec) {
  std::string slug;
  for (char c : canonical_feed_forward(spec)) {
    if (c == '=') continue;
    slug += (c == ':' || c == ',') ? '_' : c;
  }
  return slug;
}

std::filesystem::path run_dir(const std::filesystem::path& out, const std::string& recipe, const std::string& spec,
                              int64_t seed) {
  return out / recipe / activation_slug(spec) / ("seed-" + std::to_string(seed));
}

}  // namespace gem::train
