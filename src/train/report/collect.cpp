#include "src/train/report/collect.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

#include "gem/spec.h"
#include "src/train/models/feed_forward_spec.h"
#include "src/train/trainer/json_files.h"

namespace gem::train {
namespace {

// relu, gelu, silu, mish, elu, leaky_relu, gem, egem, segem; then N up; then eps down; the
// gated forms after all plain ones.
bool canonical_less(const std::string& a, const std::string& b) {
  const FeedForwardSpec x = FeedForwardSpec::parse(a), y = FeedForwardSpec::parse(b);
  return std::make_tuple(x.gated, static_cast<int>(x.activation.kind), x.activation.gem.N, -x.activation.gem.eps,
                         x.activation.alpha, a) <
         std::make_tuple(y.gated, static_cast<int>(y.activation.kind), y.activation.gem.N, -y.activation.gem.eps,
                         y.activation.alpha, b);
}

}  // namespace

std::vector<RecipeRuns> collect_runs(const std::vector<std::filesystem::path>& roots) {
  std::map<std::string, RecipeRuns> by_recipe;
  std::map<std::string, std::vector<std::string>> sweep_order;
  std::vector<std::filesystem::path> files;
  for (const auto& root : roots) {
    if (!std::filesystem::is_directory(root))
      throw std::runtime_error("no folder " + root.string() + " (expected a sweep's --out folder)");
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
      if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // a stable order whatever the file system's
  for (const auto& file : files) {
    if (file.filename() == "sweep.json") {
      const nlohmann::json sweep = read_json_file(file);
      auto& order = sweep_order[sweep.at("recipe").get<std::string>()];
      for (const auto& a : sweep.at("activations"))
        if (std::find(order.begin(), order.end(), a.get<std::string>()) == order.end())
          order.push_back(a.get<std::string>());
      by_recipe[sweep.at("recipe").get<std::string>()].description = sweep.value("description", "");
      continue;
    }
    if (file.filename() != "summary.json") continue;
    RunRecord run;
    run.dir = file.parent_path();
    run.summary = read_json_file(file);
    for (const char* key : {"recipe", "activation", "seed", "test_accuracy"})
      if (!run.summary.contains(key)) throw std::runtime_error(file.string() + ": no \"" + key + "\": not a gem-train summary");
    if (std::filesystem::exists(run.dir / "metrics.jsonl"))
      for (const auto& line : read_json_lines(run.dir / "metrics.jsonl"))
        run.history.push_back(epoch_metrics_from_json(line));
    RecipeRuns& recipe = by_recipe[run.summary["recipe"].get<std::string>()];
    recipe.recipe = run.summary["recipe"].get<std::string>();
    recipe.runs.push_back(std::move(run));
  }

  std::vector<RecipeRuns> out;
  for (auto& [name, recipe] : by_recipe) {
    if (recipe.runs.empty()) continue;
    std::vector<std::string> others;
    const auto& listed = sweep_order[name];
    for (const auto& run : recipe.runs) {
      const std::string a = run.summary["activation"].get<std::string>();
      if (std::find(listed.begin(), listed.end(), a) == listed.end() &&
          std::find(others.begin(), others.end(), a) == others.end())
        others.push_back(a);
    }
    std::sort(others.begin(), others.end(), canonical_less);
    for (const auto& a : listed)
      if (std::any_of(recipe.runs.begin(), recipe.runs.end(),
                      [&](const RunRecord& r) { return r.summary["activation"] == a; }))
        recipe.activations.push_back(a);
    recipe.activations.insert(recipe.activations.end(), others.begin(), others.end());
    std::sort(recipe.runs.begin(), recipe.runs.end(), [](const RunRecord& a, const RunRecord& b) {
      return a.summary["seed"].get<int64_t>() < b.summary["seed"].get<int64_t>();
    });
    out.push_back(std::move(recipe));
  }
  return out;
}

}  // namespace gem::train
