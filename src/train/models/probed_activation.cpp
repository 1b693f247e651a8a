#include "src/train/models/probed_activation.h"

#include <torch/torch.h>

#include <vector>

#include "gem/torch/functional.h"

namespace gem::train {

ProbedActivationImpl::ProbedActivationImpl(const std::string& spec) {
  act_ = register_module("act", gem::torch_ext::Activation(spec));
}

torch::Tensor ProbedActivationImpl::forward(const torch::Tensor& x) {
  if (!probing_) return act_->forward(x);
  torch::Tensor y;
  torch::Tensor slope;
  {
    // Evaluation runs under NoGradGuard; the probe needs autograd of the activation alone.
    torch::AutoGradMode enable_grad(true);
    const torch::Tensor input = x.detach().requires_grad_(true);
    const torch::Tensor out = act_->forward(input);
    slope = torch::autograd::grad({out}, {input}, {torch::ones_like(out)})[0];
    y = out.detach();
  }
  const int64_t channels = x.dim() > 1 ? x.size(1) : 1;
  const torch::Tensor per_channel = slope.ne(0).transpose(0, x.dim() > 1 ? 1 : 0).reshape({channels, -1}).any(1);
  alive_ = alive_.defined() ? alive_.logical_or(per_channel) : per_channel;
  return y;
}

torch::Tensor ProbedActivationImpl::gated(const torch::Tensor& x) {
  if (!probing_) return gem::torch_ext::glu(x, act_->spec_text);
  const std::vector<torch::Tensor> halves = x.chunk(2, -1);
  return forward(halves[0]) * halves[1];
}

void ProbedActivationImpl::start_probe() {
  probing_ = true;
  alive_ = torch::Tensor();
}

int64_t ProbedActivationImpl::units() const { return alive_.defined() ? alive_.numel() : 0; }

int64_t ProbedActivationImpl::dead_units() const {
  return alive_.defined() ? alive_.numel() - alive_.sum().item<int64_t>() : 0;
}

std::vector<std::shared_ptr<ProbedActivationImpl>> activation_layers(torch::nn::Module& model) {
  std::vector<std::shared_ptr<ProbedActivationImpl>> layers;
  for (const auto& m : model.modules(/*include_self=*/true))
    if (auto layer = std::dynamic_pointer_cast<ProbedActivationImpl>(m)) layers.push_back(layer);
  return layers;
}

DeadUnitProbe::DeadUnitProbe(torch::nn::Module& model, bool on) : layers_(activation_layers(model)), on_(on) {
  if (on_)
    for (auto& layer : layers_) layer->start_probe();
}

DeadUnitProbe::Count DeadUnitProbe::finish(const std::function<void(std::vector<torch::Tensor>&)>& combine) {
  Count c;
  if (!on_) return c;
  c.measured = true;
  if (combine) {
    std::vector<torch::Tensor> masks;
    for (auto& layer : layers_) masks.push_back(layer->alive().to(torch::kFloat));
    combine(masks);
    for (size_t i = 0; i < layers_.size(); ++i) layers_[i]->alive() = masks[i].ne(0);
  }
  for (auto& layer : layers_) {
    layer->stop_probe();
    c.units += layer->units();
    c.dead_units += layer->dead_units();
  }
  return c;
}

}  // namespace gem::train
