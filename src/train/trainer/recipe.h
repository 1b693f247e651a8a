// Recipe files (experiments/<name>.json): one experiment = data, model, schedule, and the
// activations and seeds a sweep runs over.
//
//   {
//     "description": "what it is and how it was sized",
//     "train": { <TrainOptions fields, fields.h> },
//     "activations": ["relu", "egem:N=1,eps=1e-4", ...],
//     "seeds": [1, 2, 3]
//   }
//
// A relative "data_dir" in a recipe is relative to the recipe file's folder. Options resolve as
// built-in defaults <- the recipe's "train" <- flags.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "src/train/trainer/train_options.h"

namespace gem::train {

struct Recipe {
  std::string name;  // the file name without .json
  std::filesystem::path file;
  std::string description;
  nlohmann::json train = nlohmann::json::object();
  std::vector<std::string> activations;
  std::vector<int64_t> seeds;
};

/// experiments/ of the source tree.
std::filesystem::path default_recipes_dir();

/// `name_or_path`: a recipe name (looked up as <recipes_dir>/<name>.json) or a path to a .json
/// file. Throws std::invalid_argument (unknown name: lists the recipes found; bad content: says
/// which key and why) or std::runtime_error (unreadable file).
Recipe load_recipe(const std::string& name_or_path, const std::filesystem::path& recipes_dir);

/// Recipe names become folder and file names (<out>/<recipe>/, <recipe>-curves.png): letters,
/// digits and . _ + -, not starting with '.', at most 100 characters. Throws
/// std::invalid_argument saying so.
void validate_recipe_name(const std::string& name);

/// The names of the recipes in `recipes_dir`, sorted.
std::vector<std::string> recipe_names(const std::filesystem::path& recipes_dir);

/// Built-in defaults <- recipe.train <- overrides (a JSON object of fields), validated.
TrainOptions resolve_options(const Recipe& recipe, const nlohmann::json& overrides);

}  // namespace gem::train
