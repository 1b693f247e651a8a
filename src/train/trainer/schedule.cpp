#include "src/train/trainer/schedule.h"

#include <algorithm>
#include <cmath>

namespace gem::train {

double learning_rate(const TrainOptions& o, int64_t epoch, int64_t step, int64_t steps_per_epoch) {
  const int64_t global = epoch * steps_per_epoch + step;
  const auto warmup = static_cast<int64_t>(std::llround(o.warmup_epochs * static_cast<double>(steps_per_epoch)));
  if (global < warmup) return o.lr * static_cast<double>(global + 1) / static_cast<double>(warmup);
  if (o.schedule == "multistep") {
    const auto passed = std::count_if(o.milestones.begin(), o.milestones.end(), [&](int64_t m) { return m <= epoch; });
    return o.lr * std::pow(o.gamma, static_cast<double>(passed));
  }
  if (o.schedule == "cosine") {
    const int64_t total = o.epochs * steps_per_epoch - warmup;
    const double t = static_cast<double>(global - warmup) / static_cast<double>(std::max<int64_t>(total, 1));
    constexpr double kPi = 3.14159265358979323846;
    return o.min_lr + (o.lr - o.min_lr) * 0.5 * (1.0 + std::cos(kPi * t));
  }
  return o.lr;
}

}  // namespace gem::train
