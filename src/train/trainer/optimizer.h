// The optimizer and the device of a run, from its options.
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <memory>
#include <string>

#include "src/train/models/classifier.h"
#include "src/train/trainer/train_options.h"

namespace gem::train {

/// auto: CUDA when LibTorch has it and a device is present, else CPU. cuda without a device
/// throws std::invalid_argument.
torch::Device choose_device(const std::string& wanted);

/// SGD (momentum, Nesterov, L2 weight decay) or AdamW (decoupled weight decay) over the model's
/// parameters, at the peak learning rate (the schedule sets it before every step).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainOptions& options, ClassifierImpl& model);

}  // namespace gem::train
