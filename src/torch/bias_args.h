// Argument checks of the fused bias ops (gem::bias_forward, gem::bias_backward), shared by their
// CPU and CUDA kernels: x is (..., C), bias is (C), same dtype and device.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>

#include <ATen/ops/zeros_like.h>

#include <cstddef>
#include <vector>

#include "src/torch/op_args.h"

namespace gem::torch_ext {

inline void check_bias(const char* op, const at::Tensor& x, const at::Tensor& bias) {
  check_floating(op, "x", x);
  check_floating(op, "bias", bias);
  TORCH_CHECK_VALUE(x.dim() >= 1, op, ": x must have at least one dimension (the channels, last), got a scalar");
  TORCH_CHECK_VALUE(bias.dim() == 1 && bias.sym_size(0) == x.sym_size(-1), op,
                    ": bias must be one-dimensional with the size of x's last dimension (", c10::str(x.sym_size(-1)),
                    "), got shape ", shape_text(bias.sym_sizes()));
  TORCH_CHECK_TYPE(bias.scalar_type() == x.scalar_type(), op, ": bias dtype ", bias.scalar_type(),
                   " does not match x dtype ", x.scalar_type());
  TORCH_CHECK(bias.device() == x.device(), op, ": bias is on ", bias.device(), " but x is on ", x.device());
}

/// grad_bias: the sum of grad_x over every dimension but the last, accumulated in float (double
/// for double) and rounded once to bias's dtype.
inline at::Tensor column_sums(const at::Tensor& grad_x, const at::Tensor& bias) {
  if (bias.numel() == 0) return at::zeros_like(bias);
  const at::ScalarType acc = grad_x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  const std::vector<int64_t> rows{0};
  return grad_x.reshape({-1, grad_x.size(-1)}).sum(rows, /*keepdim=*/false, acc).to(bias.scalar_type());
}

/// The [rows, channels] view the kernels see (x made contiguous first).
struct BiasExtent {
  std::size_t rows, channels;
};

inline BiasExtent bias_extent(const at::Tensor& x) {
  const auto channels = static_cast<std::size_t>(x.size(-1));
  return {channels == 0 ? 0 : static_cast<std::size_t>(x.numel()) / channels, channels};
}

}  // namespace gem::torch_ext
