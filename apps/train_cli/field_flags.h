// A command-line flag for every training field (src/train/trainer/fields.h), for gem-train and gem-sweep run:
// --batch-size 64, --act egem:N=1,eps=1e-4, --hidden 256,128, --nesterov true ... A flag given
// overrides the recipe; --help shows each field's built-in default.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace gem::train_cli {

/// A field's JSON value as flag text, the inverse of Field::parse_text: strings as they are,
/// lists joined with commas, numbers with an exact round trip.
std::string flag_text(const nlohmann::json& value);

class FieldFlags {
 public:
  /// Adds the flags to `app` under the help group "Training fields". `skip`: keys to leave out
  /// (gem-sweep sets activation and seed itself).
  explicit FieldFlags(CLI::App& app, const std::vector<std::string>& skip = {});

  /// The fields whose flags were given, parsed (a relative --data-dir made absolute). Throws
  /// std::invalid_argument naming the flag when a value does not parse.
  nlohmann::json overrides() const;

 private:
  std::map<std::string, std::string> texts_;  // key -> flag text
  std::map<std::string, CLI::Option*> options_;
};

}  // namespace gem::train_cli
