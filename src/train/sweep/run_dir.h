// Where a sweep puts each run: <out>/<recipe>/<activation slug>/seed-<seed>.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace gem::train {

/// The canonical spec as a folder name: ':' and ',' become '_', '=' is dropped
/// (egem:N=1,eps=1e-4 -> egem_N1_eps1e-4). Throws std::invalid_argument for a bad spec.
std::string activation_slug(const std::string& spec);

std::filesystem::path run_dir(const std::filesystem::path& out, const std::string& recipe, const std::string& spec,
                              int64_t seed);

}  // namespace gem::train
