#include "src/train/report/collect.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include "gem/quoted.h"
#include "gem/spec.h"
#include "src/train/models/feed_forward_spec.h"
#include "src/train/trainer/fields.h"
#include "src/train/trainer/json_files.h"
#include "src/train/trainer/recipe.h"
#include "src/train/trainer/run_folder.h"

namespace gem::train {
namespace {

using nlohmann::json;

// relu, gelu, silu, mish, elu, leaky_relu, gem, egem, segem; then N up; then eps down; the
// gated forms after all plain ones.
bool canonical_less(const std::string& a, const std::string& b) {
  const FeedForwardSpec x = FeedForwardSpec::parse(a), y = FeedForwardSpec::parse(b);
  return std::make_tuple(x.gated, static_cast<int>(x.activation.kind), x.activation.gem.N, -x.activation.gem.eps,
                         x.activation.alpha, a) <
         std::make_tuple(y.gated, static_cast<int>(y.activation.kind), y.activation.gem.N, -y.activation.gem.eps,
                         y.activation.alpha, b);
}

[[noreturn]] void bad_file(const std::filesystem::path& file, const std::string& problem) {
  throw std::runtime_error(file.string() + ": " + problem +
                           "; it is not a file gem-train wrote: fix or remove it, or leave its folder out of --in");
}

std::string checked_recipe(const json& value, const std::filesystem::path& file) {
  if (!value.is_string()) bad_file(file, "\"recipe\" must be a string, got " + excerpt(value.dump()));
  try {
    validate_recipe_name(value.get<std::string>());
  } catch (const std::invalid_argument& e) {
    bad_file(file, e.what());
  }
  return value.get<std::string>();
}

std::string checked_activation(const json& value, const std::filesystem::path& file) {
  if (!value.is_string()) bad_file(file, "\"activation\" must be a spec string, got " + excerpt(value.dump()));
  std::string canonical;
  try {
    canonical = canonical_feed_forward(value.get<std::string>());
  } catch (const std::invalid_argument& e) {
    bad_file(file, std::string("\"activation\": ") + e.what());
  }
  if (canonical != value.get<std::string>())
    bad_file(file, "\"activation\" " + quoted_excerpt(value.get<std::string>()) + " is not in canonical form (" +
                       canonical + ")");
  return canonical;
}

// The numbers the report reads, each with the range gem-train writes it in: a diverged run may
// lack them, and only dead_fraction may be null (not measured).
struct NumberRule {
  const char* key;
  double lo, hi;
};
constexpr double kHuge = 1e30;
constexpr NumberRule kNumbers[] = {
    {"test_accuracy", 0, 1},        {"best_test_accuracy", 0, 1},   {"dead_fraction", 0, 1},
    {"test_loss", 0, kHuge},        {"best_test_loss", 0, kHuge},   {"seconds", 0, kHuge},
    {"samples_per_second", 0, kHuge}, {"val_perplexity", 1, kHuge}, {"unigram_perplexity", 1, kHuge}};
// Counts of the summary (the report's setup line), integers >= 0 where present.
constexpr const char* kCounts[] = {"train_size", "test_size", "parameters", "train_tokens", "val_tokens",
                                   "vocab_size", "epochs", "units", "dead_units", "threads"};

void check_numbers(const json& summary, const std::filesystem::path& file, bool diverged) {
  for (const NumberRule& rule : kNumbers) {
    const std::string key = rule.key;
    const bool required = !diverged && (key == "test_accuracy" || key == "test_loss");
    if (!summary.contains(key)) {
      if (required) bad_file(file, "no \"" + key + "\"");
      continue;
    }
    const json& v = summary[key];
    if (v.is_null() && key == "dead_fraction") continue;
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < rule.lo || v.get<double>() > rule.hi)
      bad_file(file, "\"" + key + "\" must be a number in [" + format_double(rule.lo) + ", " + format_double(rule.hi) +
                         "], got " + excerpt(v.dump()));
  }
  for (const char* key : kCounts)
    if (summary.contains(key) && !(summary[key].is_number_integer() && summary[key].get<int64_t>() >= 0))
      bad_file(file, "\"" + std::string(key) + "\" must be an integer >= 0, got " + excerpt(summary[key].dump()));
  if (summary.contains("device") && !summary["device"].is_string())
    bad_file(file, "\"device\" must be a string, got " + excerpt(summary["device"].dump()));
}

// The options must be gem-train's (known fields of the right types), and the run's identity at
// the top must be the one they record: a copy with another "seed" is not another seed.
void check_options(const RunRecord& run, const std::filesystem::path& file) {
  if (!run.summary.contains("options")) return;
  const json& o = run.summary["options"];
  if (!o.is_object()) bad_file(file, "\"options\" must be an object");
  try {
    apply_fields(TrainOptions{}, o, "\"options\"");
  } catch (const std::invalid_argument& e) {
    bad_file(file, e.what());
  }
  if (o.contains("seed") && o["seed"] != run.summary["seed"])
    bad_file(file, "\"seed\" is " + excerpt(run.summary["seed"].dump()) + " but its options say " + excerpt(o["seed"].dump()));
  if (o.contains("activation")) {
    std::string recorded;
    try {
      recorded = canonical_feed_forward(o["activation"].get<std::string>());
    } catch (const std::exception& e) {
      bad_file(file, std::string("\"options\".activation: ") + e.what());
    }
    if (recorded != run.activation)
      bad_file(file, "\"activation\" is " + run.activation + " but its options say " + recorded);
  }
}

RunRecord read_run(const std::filesystem::path& file) {
  RunRecord run;
  run.dir = file.parent_path();
  run.summary = read_json_file(file);
  if (!run.summary.is_object()) bad_file(file, "not a JSON object");
  for (const char* key : {"recipe", "activation", "seed"})
    if (!run.summary.contains(key)) bad_file(file, "no \"" + std::string(key) + "\"");
  checked_recipe(run.summary["recipe"], file);
  run.activation = checked_activation(run.summary["activation"], file);
  if (!run.summary["seed"].is_number_integer() || run.summary["seed"].get<int64_t>() < 0)
    bad_file(file, "\"seed\" must be an integer >= 0, got " + excerpt(run.summary["seed"].dump()));
  run.seed = run.summary["seed"].get<int64_t>();
  const json& diverged = run.summary.contains("diverged") ? run.summary["diverged"] : json(false);
  if (!diverged.is_boolean()) bad_file(file, "\"diverged\" must be true or false");
  run.diverged = diverged.get<bool>();
  check_numbers(run.summary, file, run.diverged);
  check_options(run, file);
  const std::filesystem::path metrics = run.dir / "metrics.jsonl";
  if (std::filesystem::exists(metrics)) {
    int line = 0;
    for (const auto& entry : read_json_lines(metrics)) {
      ++line;
      try {
        run.history.push_back(epoch_metrics_from_json(entry));
      } catch (const std::invalid_argument& e) {
        bad_file(metrics, "line " + std::to_string(line) + ": " + e.what());
      }
    }
  }
  return run;
}

// Options that do not change what a run computes, so runs differing only in them share a row.
bool ignored_for_rows(const std::string& key) {
  return key == "activation" || key == "seed" || key == "cache_dir" || may_change_between_sessions(key);
}

std::string option_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// A description as one line of Markdown prose: control characters as spaces, at most 500 bytes.
std::string one_line(const std::string& text) {
  constexpr std::size_t kMax = 500;
  std::string out;
  for (const char c : text.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  return text.size() > kMax ? out + "..." : out;
}

// Sets each run's variant from the options in which the recipe's runs differ, and the device
// the runs ran on (the option may say "auto"; CPU and GPU throughputs are not one row).
void find_variants(RecipeRuns& recipe) {
  std::set<std::string> keys;
  for (const RunRecord& r : recipe.runs)
    if (r.summary.contains("options"))
      for (const auto& [key, value] : r.summary["options"].items()) keys.insert(key);
  const auto device_of = [](const RunRecord& r) -> json { return r.summary.value("device", json("?")); };
  const bool devices_differ = std::any_of(recipe.runs.begin(), recipe.runs.end(), [&](const RunRecord& r) {
    return device_of(r) != device_of(recipe.runs.front());
  });
  const json& defaults = built_in_options();
  for (const std::string& key : keys) {
    if (ignored_for_rows(key)) continue;
    // A field added after a run was made: that run had its built-in default.
    const json unrecorded = defaults.contains(key) ? defaults[key] : json("(not recorded)");
    const auto value_of = [&](const RunRecord& r) -> json {
      if (!r.summary.contains("options") || !r.summary["options"].contains(key)) return unrecorded;
      return r.summary["options"][key];
    };
    const bool varies = std::any_of(recipe.runs.begin(), recipe.runs.end(),
                                    [&](const RunRecord& r) { return value_of(r) != value_of(recipe.runs.front()); });
    if (!varies) continue;
    recipe.varying_options.push_back(key);
    for (RunRecord& r : recipe.runs)
      r.variant += (r.variant.empty() ? "" : ", ") + key + "=" + excerpt(option_text(value_of(r)));
  }
  if (devices_differ) {
    recipe.varying_options.push_back("device");
    for (RunRecord& r : recipe.runs)
      r.variant += (r.variant.empty() ? "" : ", ") + std::string("on ") + excerpt(option_text(device_of(r)));
  }
}

}  // namespace

std::vector<RecipeRuns> collect_runs(const std::vector<std::filesystem::path>& roots) {
  std::map<std::string, RecipeRuns> by_recipe;
  std::map<std::string, std::vector<std::string>> sweep_order;
  std::map<std::filesystem::path, std::filesystem::path> files;  // canonical -> as found (one entry per file)
  for (const auto& root : roots) {
    if (!std::filesystem::is_directory(root))
      throw std::runtime_error("no folder " + root.string() + " (expected a sweep's --out folder)");
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
      if (entry.is_regular_file()) files.emplace(std::filesystem::weakly_canonical(entry.path()), entry.path());
  }
  std::vector<std::filesystem::path> found;
  for (const auto& [canonical, path] : files) found.push_back(path);
  std::sort(found.begin(), found.end());  // a stable order whatever the file system's
  for (const auto& file : found) {
    if (file.filename() == "sweep.json") {
      const json sweep = read_json_file(file);
      if (!sweep.is_object() || !sweep.contains("recipe") || !sweep.contains("activations") ||
          !sweep["activations"].is_array())
        bad_file(file, "not a sweep plan (recipe, activations)");
      const std::string recipe = checked_recipe(sweep["recipe"], file);
      auto& order = sweep_order[recipe];
      std::set<std::string> listed(order.begin(), order.end());
      for (const auto& a : sweep["activations"]) {
        const std::string activation = checked_activation(a, file);
        if (listed.insert(activation).second) order.push_back(activation);
      }
      const json description = sweep.value("description", json(""));
      by_recipe[recipe].description = description.is_string() ? one_line(description.get<std::string>()) : "";
      continue;
    }
    if (file.filename() != "summary.json") continue;
    RunRecord run = read_run(file);
    RecipeRuns& recipe = by_recipe[run.summary["recipe"].get<std::string>()];
    recipe.recipe = run.summary["recipe"].get<std::string>();
    recipe.runs.push_back(std::move(run));
  }

  std::vector<RecipeRuns> out;
  for (auto& [name, recipe] : by_recipe) {
    if (recipe.runs.empty()) continue;
    find_variants(recipe);
    std::sort(recipe.runs.begin(), recipe.runs.end(),
              [](const RunRecord& a, const RunRecord& b) { return std::tie(a.seed, a.dir) < std::tie(b.seed, b.dir); });
    std::map<std::pair<std::string, int64_t>, std::filesystem::path> seen;
    for (const RunRecord& r : recipe.runs) {
      const auto [it, fresh] = seen.emplace(std::make_pair(r.row(), r.seed), r.dir);
      if (!fresh)
        throw std::runtime_error("two runs of " + name + " " + r.row() + " seed " + std::to_string(r.seed) + ": " +
                                 it->second.string() + " and " + r.dir.string() +
                                 "; a seed counts once: leave one of them out of --in");
    }
    // Rows: activations in the sweeps' order, then the others; variants of one activation sorted.
    std::vector<std::string> activations = sweep_order[name], others;
    for (const RunRecord& r : recipe.runs)
      if (std::find(activations.begin(), activations.end(), r.activation) == activations.end() &&
          std::find(others.begin(), others.end(), r.activation) == others.end())
        others.push_back(r.activation);
    std::sort(others.begin(), others.end(), canonical_less);
    activations.insert(activations.end(), others.begin(), others.end());
    for (const std::string& a : activations) {
      std::vector<std::string> variants;
      for (const RunRecord& r : recipe.runs)
        if (r.activation == a && std::find(variants.begin(), variants.end(), r.row()) == variants.end())
          variants.push_back(r.row());
      std::sort(variants.begin(), variants.end());
      recipe.rows.insert(recipe.rows.end(), variants.begin(), variants.end());
    }
    out.push_back(std::move(recipe));
  }
  return out;
}

}  // namespace gem::train
