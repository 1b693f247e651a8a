#include "src/train/trainer/optimizer.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <stdexcept>

namespace gem::train {

torch::Device choose_device(const std::string& wanted) {
  if (wanted == "cuda" && !torch::cuda::is_available())
    throw std::invalid_argument("device cuda: no CUDA device is available to this LibTorch (use --device cpu or auto)");
  if (wanted == "cuda" || (wanted == "auto" && torch::cuda::is_available())) return torch::Device(torch::kCUDA);
  return torch::Device(torch::kCPU);
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainOptions& o, ClassifierImpl& model) {
  if (o.optimizer == "adamw")
    return std::make_unique<torch::optim::AdamW>(
        model.parameters(), torch::optim::AdamWOptions(o.lr)
                                .betas({o.adam_beta1, o.adam_beta2})
                                .weight_decay(o.weight_decay));
  return std::make_unique<torch::optim::SGD>(
      model.parameters(),
      torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay));
}

}  // namespace gem::train
