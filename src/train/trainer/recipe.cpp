#include "src/train/trainer/recipe.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "gem/quoted.h"
#include "gem/spec.h"
#include "src/train/models/feed_forward_spec.h"
#include "src/train/trainer/fields.h"
#include "src/train/trainer/json_files.h"

namespace gem::train {
namespace {

using nlohmann::json;

bool looks_like_path(const std::string& s) {
  return s.find('/') != std::string::npos || (s.size() > 5 && s.compare(s.size() - 5, 5, ".json") == 0);
}

constexpr std::size_t kMaxRecipeName = 100;

}  // namespace

void validate_recipe_name(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= kMaxRecipeName && name[0] != '.' &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' || c == '-';
                  });
  if (!ok)
    throw std::invalid_argument("recipe name " + quoted_excerpt(name) +
                                " must be 1 to 100 letters, digits and . _ + -, not starting with '.' (it names "
                                "folders and files)");
}

std::filesystem::path default_recipes_dir() { return std::filesystem::path(GEM_SOURCE_DIR) / "experiments"; }

std::vector<std::string> recipe_names(const std::filesystem::path& recipes_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(recipes_dir, ec))
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

Recipe load_recipe(const std::string& name_or_path, const std::filesystem::path& recipes_dir) {
  Recipe r;
  r.file = looks_like_path(name_or_path) ? std::filesystem::path(name_or_path) : recipes_dir / (name_or_path + ".json");
  r.name = r.file.stem().string();
  validate_recipe_name(r.name);
  std::ifstream in(r.file);
  if (!in) {
    if (looks_like_path(name_or_path)) throw std::runtime_error("cannot open recipe file " + r.file.string());
    std::string known;
    for (const auto& n : recipe_names(recipes_dir)) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument(
        "no recipe " + quoted_excerpt(name_or_path) + " in " + recipes_dir.string() +
        (known.empty() ? std::string(" (no recipes there; pass --recipes-dir)") : "; known: " + known));
  }
  const std::string where = "recipe " + r.file.string();
  json doc;
  try {
    std::ostringstream text;
    text << in.rdbuf();
    doc = parse_json_strict(text.str(), where);
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(e.what());
  }
  if (!doc.is_object()) throw std::invalid_argument(where + ": must be a JSON object");
  for (const auto& [key, value] : doc.items()) {
    if (key == "description") {
      if (!value.is_string()) throw std::invalid_argument(where + ": description must be a string");
      r.description = value.get<std::string>();
    } else if (key == "train") {
      r.train = value;
      apply_fields(TrainOptions{}, value, where);  // unknown keys and wrong types fail here
    } else if (key == "activations") {
      if (!value.is_array()) throw std::invalid_argument(where + ": activations must be a list of specs");
      for (const auto& a : value) {
        if (!a.is_string()) throw std::invalid_argument(where + ": activation " + a.dump() + " is not a string");
        try {
          FeedForwardSpec::parse(a.get<std::string>());
        } catch (const std::invalid_argument& e) {
          throw std::invalid_argument(where + ": activation " + quoted_excerpt(a.get<std::string>()) + ": " + e.what());
        }
        r.activations.push_back(a.get<std::string>());
      }
    } else if (key == "seeds") {
      if (!value.is_array()) throw std::invalid_argument(where + ": seeds must be a list of integers");
      for (const auto& s : value) {
        if (!s.is_number_integer() || s.get<int64_t>() < 0)
          throw std::invalid_argument(where + ": seed " + s.dump() + " is not an integer >= 0");
        r.seeds.push_back(s.get<int64_t>());
      }
    } else {
      throw std::invalid_argument(where + ": unknown key " + quoted_excerpt(key) +
                                  " (description, train, activations, seeds)");
    }
  }
  if (r.train.contains("data_dir")) {
    const std::filesystem::path dir = r.train["data_dir"].get<std::string>();
    if (!dir.empty() && dir.is_relative()) r.train["data_dir"] = (r.file.parent_path() / dir).lexically_normal().string();
  }
  return r;
}

TrainOptions resolve_options(const Recipe& recipe, const nlohmann::json& overrides) {
  TrainOptions o = apply_fields(TrainOptions{}, recipe.train, "recipe " + recipe.file.string());
  o = apply_fields(o, overrides, "command line");
  validate(o);
  return o;
}

}  // namespace gem::train
