#include "src/train/sweep/run_dir.h"

#include "gem/spec.h"

namespace gem::train {

std::string activation_slug(const std::string& spec) {
  std::string slug;
  for (char c : ActivationSpec::parse(spec).to_string()) {
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
