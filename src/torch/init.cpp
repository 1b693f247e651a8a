// gem::torch_ext::init_gain / kaiming_normal_ (include/gem/torch/init.h) and the op
// gem::gaussian_moments(str spec) -> float[] [E f(z), E f(z)^2, E f'(z)^2], through which
// Python's gem.nn.init reads the same cached quadrature (include/gem/gaussian_moments.h).
// Errors are ValueError (c10::ValueError in C++) naming the function.
#include "gem/torch/init.h"

#include <torch/library.h>
#include <torch/nn/init.h>
#include <torch/utils.h>

#include <cmath>
#include <vector>

#include "gem/gaussian_moments.h"
#include "src/torch/op_args.h"

namespace gem::torch_ext {
namespace {

std::vector<double> gaussian_moments_op(c10::string_view spec) {
  const GaussianMoments m = gaussian_moments(spec_from("gem::gaussian_moments", spec));
  return {m.mean, m.mean_square, m.grad_mean_square};
}

}  // namespace

double init_gain(const std::string& spec) { return gem::init_gain(spec_from("gem::torch_ext::init_gain", spec)); }

double init_gain_backward(const std::string& spec) {
  return gem::init_gain_backward(spec_from("gem::torch_ext::init_gain_backward", spec));
}

torch::Tensor kaiming_normal_(torch::Tensor weight, double gain, FanMode mode) {
  TORCH_CHECK_VALUE(gain > 0 && std::isfinite(gain), "kaiming_normal_: gain must be a finite number > 0, got ", gain);
  TORCH_CHECK_VALUE(weight.dim() >= 2, "kaiming_normal_: the weight needs at least 2 dimensions (fan in and out), got ",
                    weight.dim());
  const auto [fan_in, fan_out] = torch::nn::init::_calculate_fan_in_and_fan_out(weight);
  const int64_t fan = mode == FanMode::fan_in ? fan_in : fan_out;
  TORCH_CHECK_VALUE(fan > 0, "kaiming_normal_: the weight is empty (fan 0)");
  torch::NoGradGuard no_grad;
  return weight.normal_(0.0, gain / std::sqrt(static_cast<double>(fan)));
}

torch::Tensor kaiming_normal_(torch::Tensor weight, const std::string& spec, FanMode mode) {
  const ActivationSpec s = spec_from("kaiming_normal_", spec);
  return kaiming_normal_(std::move(weight), mode == FanMode::fan_in ? gem::init_gain(s) : gem::init_gain_backward(s),
                         mode);
}

// No tensor argument, so no dispatch key: one kernel for every caller (as build_info).
TORCH_LIBRARY_FRAGMENT(gem, m) { m.def("gaussian_moments(str spec) -> float[]", &gaussian_moments_op); }

}  // namespace gem::torch_ext
