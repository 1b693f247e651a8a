// torch::nn modules of the GEM family, usable in torch::nn::Sequential and saved / loaded with
// torch::save / torch::load:
//
//   gem::torch_ext::GEM(GEMOptions(/*N=*/2))
//   gem::torch_ext::EGEM(EGEMOptions(/*N=*/1, /*eps=*/1e-4).learnable_eps(true))
//   gem::torch_ext::SEGEM(SEGEMOptions(1, 1e-4))
//   gem::torch_ext::Activation("gelu")   any spec of include/gem/spec.h (the training harness)
//
// Learnable eps: the parameter is `log_eps` and eps = exp(log_eps). The exponential keeps eps
// positive without a clamp, and a gradient step changes eps by a factor rather than by an amount,
// which suits a scale that ranges over orders of magnitude (1e-6 .. 10). The gradient reaches
// log_eps exactly: eps * df/deps (df/deps from include/gem/act/gem_eps_grad.h). log_eps is a
// float32 scalar parameter (converted with the module by ->to()). A fixed eps is an option, not
// state: save and load move only log_eps, as torch::nn::ELU's alpha is not saved either.
#pragma once

#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/arg.h>

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

/// E-GEM_{N,eps}(x) = x^(2N+1)/(eps + x^(2N)) for x > 0, else 0.
class EGEMImpl : public torch::nn::Cloneable<EGEMImpl> {
 public:
  explicit EGEMImpl(const EGEMOptions& options = {});
  EGEMImpl(int64_t N, double eps, bool learnable_eps = false)
      : EGEMImpl(EGEMOptions(N, eps).learnable_eps(learnable_eps)) {}
  void reset() override;
  at::Tensor forward(const at::Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  /// eps now: exp(log_eps) when learnable, else options.eps().
  double eps() const;

  EGEMOptions options;
  at::Tensor log_eps;  // the parameter when learnable, else undefined

 private:
  Params params_;
};
TORCH_MODULE(EGEM);

/// SE-GEM_{N,eps}(x) = x for x >= 0, x eps/(eps + x^(2N)) for x < 0.
class SEGEMImpl : public torch::nn::Cloneable<SEGEMImpl> {
 public:
  explicit SEGEMImpl(const SEGEMOptions& options = {});
  SEGEMImpl(int64_t N, double eps, bool learnable_eps = false)
      : SEGEMImpl(SEGEMOptions(N, eps).learnable_eps(learnable_eps)) {}
  void reset() override;
  at::Tensor forward(const at::Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  /// eps now: exp(log_eps) when learnable, else options.eps().
  double eps() const;

  SEGEMOptions options;
  at::Tensor log_eps;  // the parameter when learnable, else undefined

 private:
  Params params_;
};
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

}  // namespace gem::torch_ext
