#include "src/train/trainer/metrics.h"

#include <algorithm>
#include <stdexcept>

#include "gem/quoted.h"

namespace gem::train {

using nlohmann::json;

json to_json(const EpochMetrics& m) {
  json j = {{"epoch", m.epoch},
            {"lr", m.lr},
            {"train_loss", m.train_loss},
            {"train_accuracy", m.train_accuracy},
            {"test_loss", m.test_loss},
            {"test_accuracy", m.test_accuracy},
            {"dead_fraction", nullptr},
            {"dead_units", m.dead_units},
            {"units", m.units},
            {"train_seconds", m.train_seconds},
            {"eval_seconds", m.eval_seconds},
            {"samples_per_second", m.samples_per_second}};
  if (m.dead_measured) j["dead_fraction"] = m.dead_fraction();
  return j;
}

EpochMetrics epoch_metrics_from_json(const json& j) {
  try {
    EpochMetrics m;
    m.epoch = j.at("epoch").get<int64_t>();
    m.lr = j.at("lr").get<double>();
    m.train_loss = j.at("train_loss").get<double>();
    m.train_accuracy = j.at("train_accuracy").get<double>();
    m.test_loss = j.at("test_loss").get<double>();
    m.test_accuracy = j.at("test_accuracy").get<double>();
    m.dead_measured = !j.at("dead_fraction").is_null();
    m.dead_units = j.at("dead_units").get<int64_t>();
    m.units = j.at("units").get<int64_t>();
    m.train_seconds = j.at("train_seconds").get<double>();
    m.eval_seconds = j.at("eval_seconds").get<double>();
    m.samples_per_second = j.at("samples_per_second").get<double>();
    return m;
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("epoch metrics: ") + e.what() + " in " + excerpt(j.dump()));
  }
}

json reproducible_part(const EpochMetrics& m) {
  json j = to_json(m);
  for (const char* timing : {"train_seconds", "eval_seconds", "samples_per_second"}) j.erase(timing);
  return j;
}

json make_summary(const RunIdentity& id, const std::vector<EpochMetrics>& history, double seconds, const json& extra) {
  if (history.empty()) throw std::invalid_argument("make_summary: no epochs");
  const EpochMetrics& last = history.back();
  const EpochMetrics* best = &history.front();
  double best_loss = history.front().test_loss, throughput = 0;
  for (const EpochMetrics& m : history) {
    if (m.test_accuracy > best->test_accuracy) best = &m;
    best_loss = std::min(best_loss, m.test_loss);
    throughput += m.samples_per_second;
  }
  json s = {{"recipe", id.recipe},
            {"activation", id.activation},
            {"seed", id.seed},
            {"epochs", last.epoch},
            {"seconds", seconds},
            {"test_accuracy", last.test_accuracy},
            {"best_test_accuracy", best->test_accuracy},
            {"best_epoch", best->epoch},
            {"test_loss", last.test_loss},
            {"best_test_loss", best_loss},
            {"train_loss", last.train_loss},
            {"train_accuracy", last.train_accuracy},
            {"dead_fraction", nullptr},
            {"dead_units", last.dead_units},
            {"units", last.units},
            {"samples_per_second", throughput / static_cast<double>(history.size())}};
  if (last.dead_measured) s["dead_fraction"] = last.dead_fraction();
  for (const auto& [key, value] : extra.items()) s[key] = value;
  return s;
}

}  // namespace gem::train
