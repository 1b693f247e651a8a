// The options of the tests' tiny training run: 8x8 images (data_files.h), a small CNN, one
// thread; a few hundred milliseconds per run.
#pragma once

#include <filesystem>

#include "src/train/trainer/train_options.h"

namespace gem::train::testing {

inline TrainOptions tiny_options(const std::filesystem::path& data) {
  TrainOptions o;
  o.dataset = "mnist";
  o.data_dir = data.string();
  o.model = "cnn";
  o.image_model.width = 4;
  o.image_model.hidden = {16};
  o.activation = "egem:N=1,eps=1e-2";
  o.epochs = 3;
  o.batch_size = 16;
  o.eval_batch_size = 16;
  o.lr = 0.05;
  o.warmup_epochs = 0.5;
  o.schedule = "cosine";
  o.augment_pad = 1;  // exercises the augmentation stream too
  o.augment_flip = true;
  o.threads = 1;
  o.log_every = 0;
  return o;
}

}  // namespace gem::train::testing
