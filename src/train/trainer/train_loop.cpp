#include "src/train/trainer/train_loop.h"

#include <torch/torch.h>

#include <chrono>

#include "src/train/models/probed_activation.h"
#include "src/train/trainer/progress.h"

namespace gem::train {
namespace {

}  // namespace

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

StepResult train_step(ClassifierImpl& model, torch::optim::Optimizer& optimizer, const Batch& batch,
                      const torch::Device& device, double lr, double grad_clip) {
  const torch::Tensor x = batch.images.to(device), y = batch.labels.to(device);
  set_learning_rate(optimizer, lr);
  optimizer.zero_grad();
  const torch::Tensor logits = model.forward(x);
  const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
  loss.backward();
  if (grad_clip > 0) torch::nn::utils::clip_grad_norm_(model.parameters(), grad_clip);
  optimizer.step();
  return {loss.item<double>(), logits.argmax(1).eq(y).sum().item<int64_t>()};
}

TrainStats train_epoch(ClassifierImpl& model, torch::optim::Optimizer& optimizer, const EpochBatches& batches,
                       const torch::Device& device, const std::function<double(int64_t)>& lr_at,
                       const std::function<void(const StepProgress&)>& on_step, double grad_clip) {
  const auto start = std::chrono::steady_clock::now();
  model.train();
  TrainStats stats;
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t s = 0; s < batches.size(); ++s) {
    const Batch b = batches.batch(s);
    const double lr = lr_at(s);
    const StepResult step = train_step(model, optimizer, b, device, lr, grad_clip);
    const int64_t n = b.labels.size(0);
    loss_sum += step.loss * static_cast<double>(n);
    correct += step.correct;
    stats.samples += n;
    stats.last_lr = lr;
    if (on_step) on_step({s + 1, batches.size(), step.loss, lr, stats.samples, seconds_since(start)});
  }
  stats.loss = loss_sum / static_cast<double>(stats.samples);
  stats.accuracy = static_cast<double>(correct) / static_cast<double>(stats.samples);
  stats.seconds = seconds_since(start);
  return stats;
}

EvalStats evaluate(ClassifierImpl& model, const TensorSet& set, int64_t batch_size, const torch::Device& device,
                   bool probe_dead_units) {
  const auto start = std::chrono::steady_clock::now();
  torch::NoGradGuard no_grad;
  model.eval();
  DeadUnitProbe probe(model, probe_dead_units);

  EvalStats stats;
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t first = 0; first < set.size(); first += batch_size) {
    const int64_t n = std::min(batch_size, set.size() - first);
    const torch::Tensor x = set.images.narrow(0, first, n).to(device), y = set.labels.narrow(0, first, n).to(device);
    const torch::Tensor logits = model.forward(x);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .item<double>();
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    stats.samples += n;
  }
  const DeadUnitProbe::Count dead = probe.finish();
  stats.dead_measured = dead.measured;
  stats.dead_units = dead.dead_units;
  stats.units = dead.units;
  model.train();
  stats.loss = loss_sum / static_cast<double>(stats.samples);
  stats.accuracy = static_cast<double>(correct) / static_cast<double>(stats.samples);
  stats.seconds = seconds_since(start);
  return stats;
}

}  // namespace gem::train
