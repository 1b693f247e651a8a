// The table of TrainOptions fields: one row per field gives its recipe key, its flag, its help
// and how to read it from JSON (recipe files) or from flag text. gem-train and gem-sweep add a
// flag for every row, so every recipe field can be overridden from the command line.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "src/train/trainer/train_options.h"

namespace gem::train {

struct Field {
  std::string key;   // in recipe files and JSON outputs
  std::string flag;  // e.g. "--batch-size"
  std::string help;
  std::function<void(TrainOptions&, const nlohmann::json&)> read;  // throws std::invalid_argument
  std::function<nlohmann::json(const TrainOptions&)> write;
  std::function<nlohmann::json(const std::string&)> parse_text;    // flag text -> JSON value; throws
};

const std::vector<Field>& train_fields();

/// Every field of `options` as a JSON object.
nlohmann::json to_json(const TrainOptions& options);

/// to_json(TrainOptions{}): every field at its built-in default. A field a run did not record
/// (it was added later) counts as its default (run_folder.cpp, report/collect.cpp).
const nlohmann::json& built_in_options();

/// `base` with the fields named in `values` replaced. Throws std::invalid_argument for an
/// unknown key (listing the known ones) or a value of the wrong type, naming `where`.
TrainOptions apply_fields(TrainOptions base, const nlohmann::json& values, const std::string& where);

}  // namespace gem::train
