#include "src/train/trainer/run_folder.h"

#include <stdexcept>

#include "src/train/models/feed_forward_spec.h"
#include "src/train/trainer/checkpoint.h"
#include "src/train/trainer/fields.h"
#include "src/train/trainer/json_files.h"

namespace gem::train {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxShownDifferences = 12;

// Values compared as they mean: an activation in canonical form ("eps=1e-2" is "eps=0.01").
json comparable(const std::string& key, const json& value) {
  if (key != "activation" || !value.is_string()) return value;
  try {
    return canonical_feed_forward(value.get<std::string>());
  } catch (const std::invalid_argument&) {
    return value;
  }
}

// The recipe and options a file records (options.json and summary.json use the same keys).
void read_identity(const json& file, std::string& recipe, json& options) {
  if (file.contains("recipe") && file["recipe"].is_string()) recipe = file["recipe"].get<std::string>();
  if (file.contains("options") && file["options"].is_object()) options = file["options"];
}

}  // namespace

std::string diverged_reason(const RunFolder& folder) {
  const json& reason = folder.summary.is_object() && folder.summary.contains("diverged_reason")
                           ? folder.summary["diverged_reason"]
                           : json();
  return reason.is_string() ? reason.get<std::string>() : "diverged";
}

bool may_change_between_sessions(const std::string& key) {
  return key == "threads" || key == "device" || key == "log_every";
}

RunFolder inspect_run_folder(const std::filesystem::path& dir) {
  RunFolder f;
  for (const char* name : kRunFiles) f.has_run = f.has_run || std::filesystem::exists(dir / name);
  if (!f.has_run) return f;
  std::string recipe_of_options;
  json options_of_options;
  if (std::filesystem::exists(dir / "options.json"))
    read_identity(read_json_file(dir / "options.json"), recipe_of_options, options_of_options);
  if (std::filesystem::exists(dir / "summary.json")) {
    f.summary = read_json_file(dir / "summary.json");
    if (!f.summary.is_object()) throw std::runtime_error((dir / "summary.json").string() + ": not a JSON object");
    f.finished = true;
    f.diverged = f.summary.value("diverged", false) == true;
    read_identity(f.summary, f.recipe, f.options);
    if (!options_of_options.is_null() && !f.options.is_null()) {
      RunFolder other;
      other.recipe = recipe_of_options;
      other.options = options_of_options;
      const auto differences = run_differences(other, f.recipe, f.options);
      if (!differences.empty())
        throw std::runtime_error(dir.string() + " mixes two runs: options.json and summary.json differ (" +
                                 differences.front() + (differences.size() > 1 ? ", ..." : "") +
                                 "); remove the folder, or train it afresh with --restart");
    }
  }
  if (f.options.is_null()) {
    f.recipe = recipe_of_options;
    f.options = options_of_options;
  }
  if (f.options.is_null() && std::filesystem::exists(dir / "checkpoint.pt"))
    f.options = read_checkpoint_state(dir / "checkpoint.pt").options;
  return f;
}

std::vector<std::string> run_differences(const RunFolder& recorded, const std::string& recipe, const json& options) {
  std::vector<std::string> lines;
  if (recorded.has_run && !recorded.options.is_object()) {
    lines.push_back("options: recorded by none of its files (an older gem-train, or not a run of gem-train)");
    return lines;
  }
  if (!recorded.recipe.empty() && recorded.recipe != recipe)
    lines.push_back("recipe: recorded " + json(recorded.recipe).dump() + ", now " + json(recipe).dump());
  if (!recorded.options.is_object()) return lines;
  const json& defaults = built_in_options();
  for (const auto& [key, value] : options.items()) {
    if (may_change_between_sessions(key)) continue;
    const bool known = recorded.options.contains(key);
    if (known && comparable(key, recorded.options[key]) == comparable(key, value)) continue;
    // A field added after the run was made, at its built-in default, is what that run did.
    if (!known && defaults.contains(key) && defaults[key] == value) continue;
    lines.push_back(key + ": recorded " + (known ? recorded.options[key].dump() : std::string("missing")) + ", now " +
                    value.dump());
  }
  for (const auto& [key, value] : recorded.options.items())
    if (!options.contains(key) && !may_change_between_sessions(key))
      lines.push_back(key + ": recorded " + value.dump() + ", now unknown to this gem-train");
  return lines;
}

std::string differences_message(const std::filesystem::path& dir, const std::vector<std::string>& differences,
                                const std::string& restart_flag) {
  std::string text = dir.string() + " holds a run made with other options:";
  for (std::size_t i = 0; i < differences.size() && i < kMaxShownDifferences; ++i) text += "\n  " + differences[i];
  if (differences.size() > kMaxShownDifferences)
    text += "\n  ... and " + std::to_string(differences.size() - kMaxShownDifferences) + " more";
  return text + "\n  to fix: give the options it was made with, choose another --out, or pass " + restart_flag +
         " to discard it and train afresh";
}

namespace {

// Removes kRunFiles (when `run_files`) and their AtomicFile temporaries ".<name>-XXXXXX.tmp".
void remove_run_files(const std::filesystem::path& dir, bool run_files) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    for (const char* file : kRunFiles) {
      const std::string temp_prefix = "." + std::string(file) + "-";
      if ((run_files && name == file) || name.rfind(temp_prefix, 0) == 0) {
        std::error_code removed;
        std::filesystem::remove(entry.path(), removed);
        if (removed) throw std::runtime_error("cannot remove " + entry.path().string() + ": " + removed.message());
      }
    }
  }
}

}  // namespace

void clear_run_folder(const std::filesystem::path& dir) { remove_run_files(dir, true); }

void remove_stale_temporaries(const std::filesystem::path& dir) { remove_run_files(dir, false); }

}  // namespace gem::train
