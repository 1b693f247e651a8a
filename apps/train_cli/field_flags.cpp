#include "apps/train_cli/field_flags.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "src/train/trainer/fields.h"

namespace gem::train_cli {
using train::Field;
using train::train_fields;
using train::TrainOptions;

std::string flag_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string text;
    for (const auto& v : value) text += (text.empty() ? "" : ",") + v.dump();
    return text;
  }
  return value.dump();  // numbers (exact round trip), true, false
}

FieldFlags::FieldFlags(CLI::App& app, const std::vector<std::string>& skip) {
  const nlohmann::json defaults = train::to_json(TrainOptions{});
  for (const Field& f : train_fields()) {
    if (std::find(skip.begin(), skip.end(), f.key) != skip.end()) continue;
    std::string shown = flag_text(defaults[f.key]);
    if (shown.empty()) shown = "\"\"";
    CLI::Option* option =
        app.add_option(f.flag, texts_[f.key], f.help + " (built-in default " + shown + "; the recipe may set another)");
    option->group("Training fields (override the recipe)");
    option->type_name(defaults[f.key].is_string()    ? "TEXT"
                      : defaults[f.key].is_boolean() ? "BOOL"
                      : defaults[f.key].is_array()   ? "LIST"
                                                     : "NUMBER");
    options_[f.key] = option;
  }
}

nlohmann::json FieldFlags::overrides() const {
  nlohmann::json out = nlohmann::json::object();
  for (const Field& f : train_fields()) {
    const auto it = options_.find(f.key);
    if (it == options_.end() || it->second->count() == 0) continue;
    try {
      out[f.key] = f.parse_text(texts_.at(f.key));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(f.flag + ": " + e.what());
    }
    if (f.key == "data_dir" && !texts_.at(f.key).empty())
      out[f.key] = std::filesystem::absolute(texts_.at(f.key)).lexically_normal().string();
  }
  return out;
}

}  // namespace gem::train_cli
