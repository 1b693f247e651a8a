#include "src/train/report/aggregate.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "src/train/models/language_model.h"

namespace gem::train {
namespace {

// The runs of one row; `finished_only` leaves the diverged ones out.
std::vector<const RunRecord*> runs_of(const RecipeRuns& runs, const std::string& row, bool finished_only) {
  std::vector<const RunRecord*> out;
  for (const auto& r : runs.runs)
    if (r.row() == row && !(finished_only && r.diverged)) out.push_back(&r);
  return out;
}

MeanStd over(const std::vector<const RunRecord*>& runs, const char* key) {
  std::vector<double> values;
  for (const RunRecord* r : runs)
    if (r->summary.contains(key) && r->summary[key].is_number()) values.push_back(r->summary[key].get<double>());
  return mean_std(values);
}

std::string describe_language_setup(const nlohmann::json& summary) {
  const nlohmann::json& o = summary["options"];
  std::ostringstream s;
  s << o.value("model", "?") << " (" << o.value("layers", 0) << " layers, " << o.value("heads", 0) << " heads, width "
    << o.value("embed_dim", 0) << ", context " << o.value("context", 0) << ", " << summary.value("parameters", 0)
    << " parameters) on " << o.value("dataset", "?") << ", " << summary.value("train_tokens", 0) << " training / "
    << summary.value("val_tokens", 0) << " validation tokens, vocabulary " << summary.value("vocab_size", 0) << ", "
    << o.value("epochs", 0) << " epochs x " << o.value("steps_per_epoch", 0) << " steps, batch "
    << o.value("batch_size", 0);
  if (o.value("grad_accumulation", 1) > 1) s << " x " << o.value("grad_accumulation", 1) << " accumulated";
  s << ", " << o.value("optimizer", "?") << " lr " << o.value("lr", 0.0) << " " << o.value("schedule", "?")
    << ", weight decay " << o.value("weight_decay", 0.0);
  if (o.value("grad_clip", 0.0) > 0) s << ", clipping at " << o.value("grad_clip", 0.0);
  s << "; " << summary.value("device", "?") << ", " << summary.value("threads", 0) << " threads";
  return s.str();
}

std::string describe_setup(const nlohmann::json& summary) {
  if (!summary.contains("options")) return "";
  const nlohmann::json& o = summary["options"];
  if (is_language_model(o.value("model", ""))) return describe_language_setup(summary);
  std::ostringstream s;
  const std::string model = o.value("model", "?");
  s << (model == "resnet" ? "ResNet-" + std::to_string(o.value("depth", 0)) + " (width " +
                                std::to_string(o.value("width", 0)) + ")"
                          : model == "cnn" ? "small CNN (width " + std::to_string(o.value("width", 0)) + ")" : model)
    << " on " << o.value("dataset", "?") << ", " << summary.value("train_size", 0) << " training / "
    << summary.value("test_size", 0) << " test images, " << o.value("epochs", 0) << " epochs, batch "
    << o.value("batch_size", 0) << ", " << o.value("optimizer", "?") << " lr " << o.value("lr", 0.0) << " "
    << o.value("schedule", "?");
  if (o.value("warmup_epochs", 0.0) > 0) s << " (warm-up " << o.value("warmup_epochs", 0.0) << " epochs)";
  s << ", weight decay " << o.value("weight_decay", 0.0);
  if (o.value("augment_pad", 0) > 0 || o.value("augment_flip", false)) s << ", crop/flip augmentation";
  s << "; " << summary.value("device", "?") << ", " << summary.value("threads", 0) << " threads";
  return s.str();
}

}  // namespace

MeanStd mean_std(const std::vector<double>& values) {
  MeanStd m;
  m.n = static_cast<int>(values.size());
  if (m.n == 0) return m;
  double sum = 0;
  for (double v : values) sum += v;
  m.mean = sum / m.n;
  if (m.n > 1) {
    double sq = 0;
    for (double v : values) sq += (v - m.mean) * (v - m.mean);
    m.std = std::sqrt(sq / (m.n - 1));
  }
  return m;
}

RecipeTable aggregate(const RecipeRuns& runs) {
  RecipeTable table;
  table.recipe = runs.recipe;
  table.description = runs.description;
  if (!runs.runs.empty()) table.setup = describe_setup(runs.runs.front().summary);
  table.varying_options = runs.varying_options;
  table.language = is_language_recipe(runs);
  std::map<std::pair<std::string, std::string>, double> throughput;  // (activation, variant) -> samples/s
  for (const std::string& label : runs.rows) {
    const auto all = runs_of(runs, label, false), mine = runs_of(runs, label, true);
    ActivationRow row;
    row.activation = all.front()->activation;
    row.variant = all.front()->variant;
    for (const RunRecord* r : all) {
      row.seeds.push_back(r->seed);
      if (r->diverged) row.diverged_seeds.push_back(r->seed);
    }
    row.test_accuracy = over(mine, "test_accuracy");
    row.best_test_accuracy = over(mine, "best_test_accuracy");
    row.test_loss = over(mine, "test_loss");
    row.best_test_loss = over(mine, "best_test_loss");
    row.dead_fraction = over(mine, "dead_fraction");
    row.seconds = over(mine, "seconds");
    row.samples_per_second = over(mine, "samples_per_second");
    row.val_perplexity = over(mine, "val_perplexity");
    row.unigram_perplexity = over(mine, "unigram_perplexity");
    throughput[{row.activation, row.variant}] = row.samples_per_second.mean;
    table.rows.push_back(row);
  }
  for (const char* reference : {"relu", "gelu"}) {
    if (std::none_of(table.rows.begin(), table.rows.end(),
                     [&](const ActivationRow& r) { return r.activation == reference && r.samples_per_second.n > 0; }))
      continue;
    table.baseline = reference;
    for (auto& row : table.rows) {
      const auto base = throughput.find({reference, row.variant});
      if (base != throughput.end() && base->second > 0 && row.samples_per_second.n > 0)
        row.throughput_vs_baseline = row.samples_per_second.mean / base->second;
    }
    break;
  }
  return table;
}

bool is_language_recipe(const RecipeRuns& runs) {
  for (const auto& r : runs.runs)
    if (r.summary.contains("options") && is_language_model(r.summary["options"].value("model", ""))) return true;
  return false;
}

std::vector<Curve> mean_curves(const RecipeRuns& runs) {
  std::vector<Curve> curves;
  for (const std::string& label : runs.rows) {
    const auto mine = runs_of(runs, label, true);
    Curve c;
    c.activation = label;
    size_t epochs = SIZE_MAX;
    for (const RunRecord* r : mine) epochs = std::min(epochs, r->history.size());
    if (mine.empty() || epochs == 0 || epochs == SIZE_MAX) continue;
    for (size_t e = 0; e < epochs; ++e) {
      double acc = 0, loss = 0;
      for (const RunRecord* r : mine) {
        acc += r->history[e].test_accuracy;
        loss += r->history[e].test_loss;
      }
      c.epochs.push_back(mine.front()->history[e].epoch);
      c.test_accuracy.push_back(acc / static_cast<double>(mine.size()));
      c.test_loss.push_back(loss / static_cast<double>(mine.size()));
    }
    curves.push_back(std::move(c));
  }
  return curves;
}

}  // namespace gem::train
