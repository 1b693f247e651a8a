#include "src/train/trainer/train_loop.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "src/train/distributed/gradient_sync.h"
#include "src/train/models/probed_activation.h"
#include "src/train/trainer/progress.h"

namespace gem::train {
namespace {

constexpr int64_t kDefaultReadEvery = 100;

double ratio(double sum, int64_t count) { return sum / static_cast<double>(std::max<int64_t>(1, count)); }

/// The sums of `totals` over the ranks, read back in one transfer: loss, right predictions,
/// predictions and samples.
struct HostTotals {
  double loss_sum = 0, correct = 0;
  int64_t count = 0, samples = 0;
};

HostTotals read_totals(const DeviceTotals& totals, Communicator& comm) {
  HostTotals h{0, 0, totals.count, totals.samples};
  if (totals.count > 0) {
    const torch::Tensor sums = torch::stack({totals.loss_sum, totals.correct}).cpu();
    h.loss_sum = sums.data_ptr<double>()[0];
    h.correct = sums.data_ptr<double>()[1];
  }
  if (!comm.distributed()) return h;
  std::vector<torch::Tensor> all{torch::tensor(
      {h.loss_sum, h.correct, static_cast<double>(h.count), static_cast<double>(h.samples)}, torch::kDouble)};
  comm.all_reduce_sum(all);
  const double* v = all[0].data_ptr<double>();
  return {v[0], v[1], static_cast<int64_t>(v[2]), static_cast<int64_t>(v[3])};
}

/// Mean loss and accuracy over the predictions of `totals`.
template <class Stats>
void set_means(const HostTotals& totals, Stats& stats) {
  if (totals.count == 0) return;
  stats.loss = ratio(totals.loss_sum, totals.count);
  stats.accuracy = ratio(totals.correct, totals.count);
}

/// A step whose loss has not been read back yet.
struct UnreadStep {
  torch::Tensor loss_sum;
  int64_t count, samples;  // predictions of the step; samples of the epoch after it
  double lr;
};

}  // namespace

void DeviceTotals::add(const torch::Tensor& batch_loss_sum, const torch::Tensor& batch_correct, int64_t batch_count,
                       int64_t batch_samples) {
  const torch::Tensor l = batch_loss_sum.detach().to(torch::kDouble), c = batch_correct.detach().to(torch::kDouble);
  loss_sum = loss_sum.defined() ? loss_sum + l : l;
  correct = correct.defined() ? correct + c : c;
  count += batch_count;
  samples += batch_samples;
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

DeviceTotals optimizer_step(torch::nn::Module& model, torch::optim::Optimizer& optimizer, double lr, double grad_clip,
                            const ForwardBackward& forward_backward, Communicator* comm) {
  set_learning_rate(optimizer, lr);
  optimizer.zero_grad();
  DeviceTotals totals = forward_backward();
  if (comm != nullptr) sum_gradients(model.parameters(), *comm);
  if (grad_clip > 0) torch::nn::utils::clip_grad_norm_(model.parameters(), grad_clip);
  optimizer.step();
  return totals;
}

TrainStats run_train_epoch(torch::nn::Module& model, torch::optim::Optimizer& optimizer, int64_t steps,
                           int64_t read_every, const std::function<double(int64_t)>& lr_at,
                           const std::function<DeviceTotals(int64_t)>& step,
                           const std::function<void(const StepProgress&)>& on_step, double grad_clip,
                           Communicator& comm) {
  const auto start = std::chrono::steady_clock::now();
  if (read_every <= 0) read_every = kDefaultReadEvery;
  model.train();
  TrainStats stats;
  DeviceTotals epoch;
  std::vector<UnreadStep> unread;  // the steps since the last read
  const auto read_back = [&](int64_t last_step) {
    if (on_step) {
      const size_t n = unread.size();
      std::vector<torch::Tensor> sums;
      for (const UnreadStep& u : unread) sums.push_back(u.loss_sum);
      torch::Tensor losses = torch::stack(sums).cpu();  // the one synchronisation
      std::vector<int64_t> count(n), samples(n);
      for (size_t i = 0; i < n; ++i) count[i] = unread[i].count, samples[i] = unread[i].samples;
      if (comm.distributed()) {  // every rank sees the same losses, so all stop at the same step
        std::vector<torch::Tensor> all{torch::cat({losses, torch::tensor(count, torch::kLong).to(torch::kDouble),
                                                   torch::tensor(samples, torch::kLong).to(torch::kDouble)})};
        comm.all_reduce_sum(all);
        losses = all[0].narrow(0, 0, static_cast<int64_t>(n)).contiguous();
        for (size_t i = 0; i < n; ++i) {
          count[i] = static_cast<int64_t>(all[0][static_cast<int64_t>(n + i)].item<double>());
          samples[i] = static_cast<int64_t>(all[0][static_cast<int64_t>(2 * n + i)].item<double>());
        }
      }
      const double* loss = losses.data_ptr<double>();
      const double seconds = seconds_since(start);
      const int64_t first_step = last_step - static_cast<int64_t>(n) + 1;
      for (size_t i = 0; i < n; ++i)
        on_step(
            {first_step + static_cast<int64_t>(i), steps, ratio(loss[i], count[i]), unread[i].lr, samples[i], seconds});
    }
    unread.clear();
  };
  for (int64_t s = 0; s < steps; ++s) {
    const double lr = lr_at(s);
    const DeviceTotals t = optimizer_step(
        model, optimizer, lr, grad_clip, [&] { return step(s); }, comm.distributed() ? &comm : nullptr);
    epoch.add(t);
    unread.push_back({t.loss_sum, t.count, epoch.samples, lr});
    stats.last_lr = lr;
    if ((s + 1) % read_every == 0 || s + 1 == steps) read_back(s + 1);
  }
  const HostTotals all = read_totals(epoch, comm);
  stats.samples = all.samples;
  set_means(all, stats);
  stats.seconds = seconds_since(start);
  return stats;
}

EvalStats run_evaluation(torch::nn::Module& model, int64_t batches, const std::function<DeviceTotals(int64_t)>& batch,
                         bool probe_dead_units, Communicator& comm) {
  const auto start = std::chrono::steady_clock::now();
  torch::NoGradGuard no_grad;
  model.eval();
  DeadUnitProbe probe(model, probe_dead_units);
  DeviceTotals totals;
  for (int64_t b = 0; b < batches; ++b) totals.add(batch(b));
  EvalStats stats;
  const HostTotals all = read_totals(totals, comm);
  stats.samples = all.count;
  set_means(all, stats);
  const DeadUnitProbe::Count dead =
      probe.finish(comm.distributed() ? [&](std::vector<torch::Tensor>& alive) { comm.all_reduce_max(alive); }
                                      : std::function<void(std::vector<torch::Tensor>&)>());
  stats.dead_measured = dead.measured;
  stats.dead_units = dead.dead_units;
  stats.units = dead.units;
  model.train();
  stats.seconds = seconds_since(start);
  return stats;
}

}  // namespace gem::train
