// torch::nn modules of the GEM family, usable in torch::nn::Sequential and saved / loaded with
// torch::save / torch::load:
//
//   gem::torch_ext::GEM(GEMOptions(/*N=*/2))
//   gem::torch_ext::EGEM(EGEMOptions(/*N=*/1, /*eps=*/1e-4).learnable_eps(true))
//   gem::torch_ext::EGEM(EGEMOptions(1, 1e-4).learnable_eps(true).num_parameters(64))  one eps per
//       channel (dimension 1, as PReLU; channel_dim(-1) for a transformer's features)
//   gem::torch_ext::SEGEM(SEGEMOptions(1, 1e-4))
//   gem::torch_ext::Activation("gelu")   any spec of include/gem/spec.h (the training harness)
//
// Learnable eps: the parameter is `log_eps` and eps = exp(log_eps). The exponential keeps eps
// positive without a clamp, and a gradient step changes eps by a factor rather than by an amount,
// which suits a scale that ranges over orders of magnitude (1e-6 .. 10). The gradient reaches
// log_eps exactly: eps * df/deps (df/deps from include/gem/act/gem_eps_grad.h). log_eps is a
// float32 parameter, a scalar for one eps or of shape [num_parameters] for one per channel
// (converted with the module by ->to()). A fixed eps is an option, not state: save and load move
// only log_eps, as torch::nn::ELU's alpha is not saved either.
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/pimpl.h>

#include <functional>
#include <string>

#include "gem/params.h"
#include "gem/spec.h"

namespace gem::torch_ext {

struct GEMOptions {
  /* implicit */ GEMOptions(int64_t N = 1) : N_(N) {}  // NOLINT(google-explicit-constructor)
  TORCH_ARG(int64_t, N);
};

/// Options of E-GEM and SE-GEM.
struct EpsGemOptions {
  /* implicit */ EpsGemOptions(int64_t N = 1, double eps = 1e-4) : N_(N), eps_(eps) {}  // NOLINT
  TORCH_ARG(int64_t, N);
  TORCH_ARG(double, eps);
  /// Learn eps (as log_eps, eps = exp(log_eps)); eps is the initial value.
  TORCH_ARG(bool, learnable_eps) = false;
  /// Learnable eps values: 1 (one for every element) or one per channel (as torch::nn::PReLU).
  TORCH_ARG(int64_t, num_parameters) = 1;
  /// The channel dimension of the inputs when num_parameters > 1 (1: NCHW and [batch, features];
  /// -1: the last, a transformer's features).
  TORCH_ARG(int64_t, channel_dim) = 1;
};
using EGEMOptions = EpsGemOptions;
using SEGEMOptions = EpsGemOptions;

/// GEM_N(x) = x^(2N+1)/(1 + x^(2N)) for x > 0, else 0.
class GEMImpl : public torch::nn::Cloneable<GEMImpl> {
 public:
  explicit GEMImpl(const GEMOptions& options = {});
  void reset() override;
  at::Tensor forward(const at::Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  const Params& params() const { return params_; }

  GEMOptions options;

 private:
  Params params_;
};
TORCH_MODULE(GEM);

/// E-GEM or SE-GEM (kVariant) with a fixed or learnable eps: one, or one per channel.
template <Variant kVariant>
class EpsGemImpl : public torch::nn::Cloneable<EpsGemImpl<kVariant>> {
 public:
  /// "gem::EGEM" or "gem::SEGEM", in messages and printing.
  static constexpr const char* kName = kVariant == Variant::egem ? "gem::EGEM" : "gem::SEGEM";

  explicit EpsGemImpl(const EpsGemOptions& options = {});
  EpsGemImpl(int64_t N, double eps, bool learnable_eps = false)
      : EpsGemImpl(EpsGemOptions(N, eps).learnable_eps(learnable_eps)) {}
  void reset() override;
  at::Tensor forward(const at::Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  /// eps now: exp(log_eps) when learnable, else options.eps(). With one eps per channel, throws:
  /// use eps_values().
  double eps() const;
  /// eps now as a tensor: one value, or one per channel (no gradient).
  at::Tensor eps_values() const;

  EpsGemOptions options;
  at::Tensor log_eps;  // the parameter when learnable, else undefined

 private:
  Params params_;
};
extern template class EpsGemImpl<Variant::egem>;
extern template class EpsGemImpl<Variant::segem>;

/// E-GEM_{N,eps}(x) = x^(2N+1)/(eps + x^(2N)) for x > 0, else 0.
using EGEMImpl = EpsGemImpl<Variant::egem>;
TORCH_MODULE(EGEM);

/// SE-GEM_{N,eps}(x) = x for x >= 0, x eps/(eps + x^(2N)) for x < 0.
using SEGEMImpl = EpsGemImpl<Variant::segem>;
TORCH_MODULE(SEGEM);

/// Any activation spec: relu, gelu, silu, mish, elu, leaky_relu run torch's own functions,
/// gem, egem, segem the gem operators (fixed eps).
class ActivationImpl : public torch::nn::Cloneable<ActivationImpl> {
 public:
  explicit ActivationImpl(const std::string& spec = "relu");
  void reset() override;
  at::Tensor forward(const at::Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  const ActivationSpec& spec() const { return spec_; }

  std::string spec_text;

 private:
  ActivationSpec spec_;
};
TORCH_MODULE(Activation);

/// The module of an activation spec: GEM, EGEM or SEGEM for the GEM family (options from the
/// spec), Activation for the others. Throws c10::ValueError for a bad spec.
torch::nn::AnyModule module_for(const std::string& spec);

/// True for torch::nn::ReLU: what replace_activations replaces unless told otherwise.
bool is_relu(const torch::nn::Module& module);

/// Replaces, in place, every module of `model` inside a torch::nn::Sequential for which `matches`
/// is true by a new module_for(spec) (each its own, so learnable eps values are not shared), and
/// returns how many it replaced. Everything is checked before anything changes: a bad spec, and
/// a matching module held by a module other than a Sequential (LibTorch calls such a member
/// directly, so it cannot be swapped from outside: build it with Activation(spec) instead), throw
/// c10::ValueError naming it.
int64_t replace_activations(torch::nn::Module& model, const std::string& spec,
                            const std::function<bool(const torch::nn::Module&)>& matches = is_relu);

}  // namespace gem::torch_ext
