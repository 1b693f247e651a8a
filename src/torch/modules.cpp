// torch::nn modules of the GEM family (include/gem/torch/modules.h).
#include "gem/torch/modules.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <ostream>
#include <stdexcept>

#include "gem/torch/functional.h"
#include "src/torch/op_args.h"

namespace gem::torch_ext {
namespace {

// A learnable eps lives as float32 log_eps: eps = exp(log_eps) must be a positive float32. One
// value is a scalar parameter (as before per-channel eps existed, so old checkpoints load);
// several are a vector, one per channel.
at::Tensor register_log_eps(torch::nn::Module& module, const char* name, const Params& p,
                            const EpsGemOptions& options) {
  TORCH_CHECK_VALUE(options.num_parameters() >= 1, name, ": num_parameters must be >= 1, got ",
                    options.num_parameters());
  TORCH_CHECK_VALUE(options.num_parameters() == 1 || options.learnable_eps(), name,
                    ": one eps per channel (num_parameters ", options.num_parameters(), ") needs learnable_eps(true)");
  if (!options.learnable_eps()) return at::Tensor();
  const float log_eps = static_cast<float>(std::log(p.eps));
  const float eps = std::exp(log_eps);
  TORCH_CHECK_VALUE(eps > 0.0f && std::isfinite(eps), name, ": a learnable eps is stored as log_eps in float32 "
                    "and must lie in [1.4e-45, 3.4e38], got eps=", format_double(p.eps));
  const auto shape =
      options.num_parameters() == 1 ? std::vector<int64_t>{} : std::vector<int64_t>{options.num_parameters()};
  return module.register_parameter("log_eps", torch::full(shape, log_eps, torch::kFloat32));
}

at::Tensor run_eps_gem(const Params& p, const at::Tensor& log_eps, const at::Tensor& x, int64_t channel_dim) {
  if (!log_eps.defined()) return forward(x, p);
  return forward_eps_tensor(x, p.variant, p.N, log_eps.exp(), channel_dim);
}

at::Tensor eps_values_of(const Params& p, const at::Tensor& log_eps) {
  if (!log_eps.defined()) return torch::full({}, p.eps, torch::kFloat64);
  torch::NoGradGuard no_grad;
  return log_eps.exp();
}

double current_eps(const char* name, const Params& p, const at::Tensor& log_eps) {
  if (!log_eps.defined()) return p.eps;
  TORCH_CHECK_VALUE(log_eps.numel() == 1, name, ": it has ", log_eps.numel(),
                    " eps values (one per channel); use eps_values()");
  torch::NoGradGuard no_grad;
  return log_eps.exp().item<double>();
}

// Shortest decimal that reads back as the same value in the parameter's own precision.
std::string format_eps(double eps, const at::Tensor& log_eps) {
  if (!log_eps.defined() || log_eps.scalar_type() != at::kFloat) return format_double(eps);
  char buf[64];
  for (int precision = 1; precision <= 9; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, eps);
    if (static_cast<float>(std::strtod(buf, nullptr)) == static_cast<float>(eps)) break;
  }
  return format_double(std::strtod(buf, nullptr));
}

void print_eps_gem(std::ostream& stream, const char* name, const Params& p, const at::Tensor& log_eps) {
  stream << name << "(N=" << p.N << ", ";
  if (log_eps.defined() && log_eps.numel() > 1)
    stream << "num_parameters=" << log_eps.numel();
  else
    stream << "eps=" << format_eps(current_eps(name, p, log_eps), log_eps);
  stream << ", learnable_eps=" << (log_eps.defined() ? "true" : "false") << ")";
}

}  // namespace

// ---- GEM ----------------------------------------------------------------------------------------

GEMImpl::GEMImpl(const GEMOptions& options_) : options(options_) { reset(); }

void GEMImpl::reset() { params_ = params_from("gem::GEM", "gem", options.N(), 1.0); }

at::Tensor GEMImpl::forward(const at::Tensor& x) { return torch_ext::forward(x, params_); }

void GEMImpl::pretty_print(std::ostream& stream) const { stream << "gem::GEM(N=" << params_.N << ")"; }

// ---- E-GEM and SE-GEM ---------------------------------------------------------------------------

template <Variant kVariant>
EpsGemImpl<kVariant>::EpsGemImpl(const EpsGemOptions& options_) : options(options_) {
  reset();
}

template <Variant kVariant>
void EpsGemImpl<kVariant>::reset() {
  params_ = params_from(kName, variant_name(kVariant), options.N(), options.eps());
  log_eps = register_log_eps(*this, kName, params_, options);
}

template <Variant kVariant>
at::Tensor EpsGemImpl<kVariant>::forward(const at::Tensor& x) {
  return run_eps_gem(params_, log_eps, x, options.channel_dim());
}

template <Variant kVariant>
double EpsGemImpl<kVariant>::eps() const {
  return current_eps(kName, params_, log_eps);
}

template <Variant kVariant>
at::Tensor EpsGemImpl<kVariant>::eps_values() const {
  return eps_values_of(params_, log_eps);
}

template <Variant kVariant>
void EpsGemImpl<kVariant>::pretty_print(std::ostream& stream) const {
  print_eps_gem(stream, kName, params_, log_eps);
}

template class EpsGemImpl<Variant::egem>;
template class EpsGemImpl<Variant::segem>;

// ---- Any spec -----------------------------------------------------------------------------------

ActivationImpl::ActivationImpl(const std::string& spec) : spec_text(spec) { reset(); }

void ActivationImpl::reset() {
  try {
    spec_ = ActivationSpec::parse(spec_text);
  } catch (const std::invalid_argument& e) {
    C10_THROW_ERROR(ValueError, c10::str("gem::Activation: ", e.what()));
  }
}

// Through the gem::activation op, so the spec means the same in C++, Python and TorchScript.
at::Tensor ActivationImpl::forward(const at::Tensor& x) { return activation(x, spec_text); }

void ActivationImpl::pretty_print(std::ostream& stream) const {
  stream << "gem::Activation(" << spec_.to_string() << ")";
}

}  // namespace gem::torch_ext
