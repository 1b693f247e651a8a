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

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainOptions& o, torch::nn::Module& model,
                                                        bool decay_matrices_only) {
  std::vector<torch::Tensor> decayed, not_decayed;
  for (const auto& p : model.parameters()) (!decay_matrices_only || p.dim() >= 2 ? decayed : not_decayed).push_back(p);
  const auto groups = [&](auto make_options) {
    std::vector<torch::optim::OptimizerParamGroup> g;
    g.emplace_back(decayed, make_options(o.weight_decay));
    if (!not_decayed.empty()) g.emplace_back(not_decayed, make_options(0.0));
    return g;
  };
  if (o.optimizer == "adamw")
    return std::make_unique<torch::optim::AdamW>(
        groups([&](double decay) {
          return std::make_unique<torch::optim::AdamWOptions>(
              torch::optim::AdamWOptions(o.lr).betas({o.adam_beta1, o.adam_beta2}).weight_decay(decay));
        }),
        torch::optim::AdamWOptions(o.lr));
  return std::make_unique<torch::optim::SGD>(
      groups([&](double decay) {
        return std::make_unique<torch::optim::SGDOptions>(
            torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(decay));
      }),
      torch::optim::SGDOptions(o.lr));
}

}  // namespace gem::train
