#include "src/train/sweep/speed.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "gem/spec.h"
#include "src/train/models/feed_forward_spec.h"
#include "src/train/data/batches.h"
#include "src/train/models/classifier.h"
#include "src/train/trainer/image_task.h"
#include "src/train/trainer/optimizer.h"
#include "src/train/trainer/run_training.h"
#include "src/train/trainer/train_loop.h"

namespace gem::train {
namespace {

struct Contender {
  std::string activation;
  Classifier model;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  size_t next_batch = 0;
};

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

std::vector<SpeedRow> measure_speed(const TrainOptions& base, const std::vector<std::string>& activations,
                                    const SpeedOptions& options, std::ostream& log) {
  validate(base);
  if (is_language_task(base))
    throw std::invalid_argument("speed: measures the image models; for the language models compare tokens_per_second "
                                "in their summaries (gem-sweep report)");
  if (activations.empty()) throw std::invalid_argument("speed: give at least one activation");
  if (options.rounds < 1 || options.steps < 1 || options.warmup_steps < 0)
    throw std::invalid_argument("speed: rounds and steps must be >= 1, warm-up steps >= 0");
  if (base.threads > 0) at::set_num_threads(static_cast<int>(base.threads));
  const torch::Device device = choose_device(base.device);
  DataCache cache;
  const PreparedData& data = cache.get(data_options(base));

  const EpochBatches epoch(data.train, base.batch_size, /*shuffle=*/true, augmentation(base),
                           static_cast<uint64_t>(base.seed), 0);
  const int64_t wanted = options.warmup_steps + options.rounds * options.steps;
  std::vector<Batch> batches;
  for (int64_t i = 0; i < std::min(wanted, epoch.size()); ++i) {
    Batch b = epoch.batch(i);
    batches.push_back({b.images.to(device), b.labels.to(device)});
  }

  std::vector<Contender> contenders;
  for (const std::string& text : activations) {
    TrainOptions o = base;
    o.activation = canonical_feed_forward(text);
    torch::manual_seed(static_cast<uint64_t>(o.seed));
    Contender c;
    c.activation = o.activation;
    c.model = make_model(model_options(o, data.channels, data.height, data.width, data.classes));
    c.model->to(device);
    c.optimizer = make_optimizer(o, *c.model);
    contenders.push_back(std::move(c));
  }
  const auto run_steps = [&](Contender& c, int64_t steps) {
    DeviceTotals last;
    for (int64_t s = 0; s < steps; ++s) {
      last = optimizer_step(*c.model, *c.optimizer, base.lr, /*grad_clip=*/0,
                            [&] { return classifier_forward_backward(*c.model, batches[c.next_batch], device); });
      c.next_batch = (c.next_batch + 1) % batches.size();
    }
    if (last.loss_sum.defined()) last.loss_sum.item<double>();  // wait for the device: the time is the work's
  };
  for (auto& c : contenders) {
    c.model->train();
    run_steps(c, options.warmup_steps);
  }

  std::vector<SpeedRow> rows(contenders.size());
  for (size_t k = 0; k < contenders.size(); ++k) rows[k].activation = contenders[k].activation;
  for (int64_t r = 0; r < options.rounds; ++r) {
    for (size_t i = 0; i < contenders.size(); ++i) {
      const size_t k = (i + static_cast<size_t>(r)) % contenders.size();  // a different one first each round
      int64_t samples = 0;
      for (int64_t s = 0; s < options.steps; ++s)
        samples += batches[(contenders[k].next_batch + static_cast<size_t>(s)) % batches.size()].labels.size(0);
      const auto start = std::chrono::steady_clock::now();
      run_steps(contenders[k], options.steps);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      rows[k].samples_per_second.push_back(static_cast<double>(samples) / seconds);
    }
    log << "speed: round " << r + 1 << "/" << options.rounds << " done\n" << std::flush;
  }
  for (auto& row : rows) row.median = median_of(row.samples_per_second);
  for (auto& row : rows) row.ratio = row.median / rows.front().median;
  return rows;
}

void write_speed_table(const std::vector<SpeedRow>& rows, std::ostream& out) {
  out << "| activation | median samples/s | min .. max | vs " << (rows.empty() ? "" : rows.front().activation) << " |\n"
      << "|---|---|---|---|\n";
  char buf[160];
  for (const SpeedRow& r : rows) {
    const auto [lo, hi] = std::minmax_element(r.samples_per_second.begin(), r.samples_per_second.end());
    std::snprintf(buf, sizeof buf, "| %s | %.0f | %.0f .. %.0f | %.3f |\n", r.activation.c_str(), r.median, *lo, *hi,
                  r.ratio);
    out << buf;
  }
}

}  // namespace gem::train
