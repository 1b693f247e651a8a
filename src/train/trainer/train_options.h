// Everything that defines a training run. Every field is a key of a recipe file
// (experiments/*.json, "train" object) and a flag of gem-train and gem-sweep run (fields.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/train/data/augmentation.h"
#include "src/train/data/dataset.h"
#include "src/train/models/model_options.h"

namespace gem::train {

struct TrainOptions {
  // data
  std::string dataset = "fashion-mnist";
  std::string data_dir;  // empty: the dataset's default folder
  int64_t train_limit = 0;
  int64_t test_limit = 0;
  int64_t subset_seed = 1;
  int64_t augment_pad = 0;
  bool augment_flip = false;
  // model
  std::string model = "cnn";
  std::string activation = "relu";
  int64_t depth = 20;
  int64_t width = 16;
  std::vector<int64_t> hidden{128};
  // optimisation
  int64_t epochs = 10;
  int64_t batch_size = 128;
  int64_t eval_batch_size = 1000;
  std::string optimizer = "sgd";  // sgd, adamw
  double lr = 0.1;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 5e-4;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  std::string schedule = "cosine";  // constant, multistep, cosine
  std::vector<int64_t> milestones;  // multistep: epochs (0-based) at whose start lr *= gamma
  double gamma = 0.1;
  double warmup_epochs = 0;  // linear warm-up from lr / (warm-up steps) to lr
  double min_lr = 0;         // cosine: the value at the end
  // run
  int64_t seed = 1;
  int64_t threads = 0;        // 0: all cores (torch's default)
  std::string device = "auto";  // auto (CUDA when available), cpu, cuda
  int64_t log_every = 50;     // progress line every this many steps (0: epoch lines only)
  bool dead_units = true;     // probe the dead-unit fraction in every evaluation
};

/// Throws std::invalid_argument naming the field, the value and what is allowed.
void validate(const TrainOptions& options);

DataOptions data_options(const TrainOptions& options);
Augmentation augmentation(const TrainOptions& options);
/// The model for images of the given geometry and class count.
ModelOptions model_options(const TrainOptions& options, int64_t channels, int64_t height, int64_t width,
                           int64_t classes);

}  // namespace gem::train
