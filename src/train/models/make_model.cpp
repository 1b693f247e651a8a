#include <torch/torch.h>

#include "src/train/models/classifier.h"
#include "src/train/models/mlp.h"
#include "src/train/models/resnet.h"
#include "src/train/models/small_cnn.h"

namespace gem::train {

Classifier make_model(const ModelOptions& o) {
  validate(o);
  if (o.arch == "mlp") return std::make_shared<MlpImpl>(o);
  if (o.arch == "cnn") return std::make_shared<SmallCnnImpl>(o);
  return std::make_shared<CifarResNetImpl>(o);
}

void he_initialise(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (auto& m : model.modules(/*include_self=*/false)) {
    if (auto* conv = m->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanIn, torch::kReLU);
      if (conv->bias.defined()) torch::nn::init::zeros_(conv->bias);
    } else if (auto* linear = m->as<torch::nn::Linear>()) {
      torch::nn::init::kaiming_normal_(linear->weight, 0.0, torch::kFanIn, torch::kReLU);
      if (linear->bias.defined()) torch::nn::init::zeros_(linear->bias);
    }
  }
}

int64_t parameter_count(const torch::nn::Module& model) {
  int64_t n = 0;
  for (const auto& p : model.parameters()) n += p.numel();
  return n;
}

}  // namespace gem::train
