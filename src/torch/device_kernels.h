// What differs between devices, and nothing else: a table of kernels that write into buffers the
// op bodies (device_ops.h) have already checked, laid out and allocated. CPU (cpu_ops.cpp), CUDA
// (cuda_ops.cpp) and Meta (meta_ops.cpp, shape only) each fill one table; every op is written
// once over it.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "gem/act/gem_eps_grad.h"
#include "gem/params.h"
#include "src/torch/op_args.h"

namespace gem::torch_ext {

/// The activation of an op, with eps a number (fixed) or a tensor of one value or one per
/// channel (learnable). Element i of a flat buffer belongs to channel (i / inner) % channels.
struct EpsChannels {
  Variant variant = Variant::egem;
  int N = 1;
  double eps = 1.0;       // when eps_tensor is undefined
  at::Tensor eps_tensor;  // 1 or `channels` values on x's device, checked but not yet read
  int64_t channels = 1, inner = 1;

  bool fixed() const { return !eps_tensor.defined(); }
};

/// The eps values of an activation, on the host, validated (one sync when eps lives on a GPU):
/// what a kernel that computes needs and Meta never asks for.
inline std::vector<double> eps_values(const char* op, const EpsChannels& a) {
  if (a.fixed()) return {a.eps};
  const at::Tensor host = a.eps_tensor.detach().to(at::kCPU, at::kDouble).contiguous();
  std::vector<double> values(host.data_ptr<double>(), host.data_ptr<double>() + host.numel());
  validate_eps_values(op, a.variant, values.data(), static_cast<int64_t>(values.size()));
  return values;
}

/// The kernels of one device. Every tensor argument is dense with x's strides (outputs
/// allocated like x), except eps_grad ([channels], eps's dtype) and the bias ops' contiguous
/// buffers. A kernel that reads eps values validates them (validate_eps_values, op_args.h).
struct DeviceKernels {
  void (*forward)(const char* op, const EpsChannels& a, const at::Tensor& x, const at::Tensor& y);
  void (*backward)(const char* op, const EpsChannels& a, const at::Tensor& grad_out, const at::Tensor& x,
                   const at::Tensor& grad_in);
  void (*backward_grad2)(const char* op, const EpsChannels& a, const at::Tensor& grad, const at::Tensor& x,
                         const at::Tensor& out);
  /// grad_in = grad_out f'(x) and eps_grad[c] = the sum over channel c of grad_out df/deps.
  void (*eps_grads)(const char* op, const EpsChannels& a, const at::Tensor& grad_out, const at::Tensor& x,
                    const at::Tensor& grad_in, const at::Tensor& eps_grad);
  void (*eps_partial)(const char* op, const EpsChannels& a, Quantity which, const at::Tensor& x, const at::Tensor& out);
  /// y = f(x + bias) and its gradients, bias broadcast over the last dimension (contiguous).
  void (*bias_forward)(const Params& p, const at::Tensor& x, const at::Tensor& bias, const at::Tensor& y);
  void (*bias_backward)(const Params& p, const at::Tensor& grad_out, const at::Tensor& x, const at::Tensor& bias,
                        const at::Tensor& grad_x, const at::Tensor& grad_bias);
  /// The gated (GLU) forms on contiguous rows of [a | b] (gated_args.h): y = f(a) b, and
  /// grad_x = [(grad_out b) f'(a) | grad_out f(a)].
  void (*gated_forward)(const Params& p, const at::Tensor& x, const at::Tensor& y);
  void (*gated_backward)(const Params& p, const at::Tensor& grad_out, const at::Tensor& x, const at::Tensor& grad_x);
  /// out = f^(k)(x), one eps.
  void (*derivative)(const Params& p, int k, const at::Tensor& x, const at::Tensor& out);
  /// False for Meta: its op bodies never call a kernel nor ask a size as a number, so shapes may
  /// be symbolic (torch.compile and torch.export with dynamic shapes).
  bool computes = true;
};

}  // namespace gem::torch_ext
