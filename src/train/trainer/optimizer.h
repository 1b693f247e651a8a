// The optimizer and the device of a run, from its options.
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <memory>
#include <string>

#include <torch/nn/module.h>

#include "src/train/trainer/train_options.h"

namespace gem::train {

/// auto: CUDA when LibTorch has it and a device is present, else CPU. cuda without a device
/// throws std::invalid_argument.
torch::Device choose_device(const std::string& wanted);

/// SGD (momentum, Nesterov, L2 weight decay) or AdamW (decoupled weight decay) over the model's
/// parameters, at the peak learning rate (the schedule sets it before every step).
/// decay_matrices_only: weight decay on weights of 2+ dimensions only, none on biases, LayerNorm
/// gains and the like (the convention of GPT-2 and BERT; the language models use it).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainOptions& options, torch::nn::Module& model,
                                                        bool decay_matrices_only = false);

}  // namespace gem::train
