// Argument checks and shapes of the gated ops (gem::glu_forward, gem::glu_backward), shared by
// their CPU, CUDA and Meta kernels: x is (..., 2C), the halves [a | b] of one projection's
// output along the last dimension; y and grad_out are (..., C).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/SymInt.h>
#include <c10/util/DimVector.h>
#include <c10/util/Exception.h>

#include <cstddef>

#include "src/torch/op_args.h"

namespace gem::torch_ext {

inline void check_gated(const char* op, const at::Tensor& x) {
  check_floating(op, "x", x);
  TORCH_CHECK_VALUE(x.dim() >= 1, op, ": x must have at least one dimension (the pair [a | b], last), got a scalar");
  TORCH_CHECK_VALUE(x.sym_size(-1) % 2 == 0, op, ": the last dimension of x holds [a | b] and must be even, got shape ",
                    shape_text(x.sym_sizes()));
}

/// x's shape with the last dimension halved: the shape of y and of grad_out.
inline c10::SymDimVector gated_half_shape(const at::Tensor& x) {
  c10::SymDimVector shape(x.sym_sizes().begin(), x.sym_sizes().end());
  shape.back() = shape.back() / 2;
  return shape;
}

inline void check_gated_grad(const char* op, const at::Tensor& grad_out, const at::Tensor& x) {
  check_floating(op, "grad_out", grad_out);
  const c10::SymDimVector half = gated_half_shape(x);
  TORCH_CHECK_VALUE(grad_out.sym_sizes() == c10::SymIntArrayRef(half), op, ": grad_out shape ",
                    shape_text(grad_out.sym_sizes()), " must be x's with the last dimension halved, ",
                    shape_text(c10::SymIntArrayRef(half)));
  TORCH_CHECK_TYPE(grad_out.scalar_type() == x.scalar_type(), op, ": grad_out dtype ", grad_out.scalar_type(),
                   " does not match x dtype ", x.scalar_type());
  TORCH_CHECK(grad_out.device() == x.device(), op, ": grad_out is on ", grad_out.device(), " but x is on ", x.device());
}

/// The [rows, 2 channels] view the kernels see (x made contiguous first).
struct GatedExtent {
  std::size_t rows, channels;
};

inline GatedExtent gated_extent(const at::Tensor& x) {
  const auto channels = static_cast<std::size_t>(x.size(-1) / 2);
  return {channels == 0 ? 0 : static_cast<std::size_t>(x.numel()) / (2 * channels), channels};
}

}  // namespace gem::torch_ext
