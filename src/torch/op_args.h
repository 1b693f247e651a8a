// Argument checks shared by the kernel files of every dispatch key: the activation parameters
// (validated by include/gem/params.h, reported as ValueError with the op's name) and the tensors
// (floating dtype, matching shapes, dtypes and devices), reported before any work is done.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>
#include <c10/util/StringUtil.h>
#include <c10/util/string_view.h>

#include <stdexcept>
#include <string>

#include "gem/params.h"
#include "gem/spec.h"

namespace gem::torch_ext {

/// "gem", "egem" or "segem".
inline Variant variant_from(const char* op, c10::string_view name) {
  const std::string s(name.data(), name.size());
  Variant v{};
  if (variant_from_name(s, v)) return v;
  C10_THROW_ERROR(ValueError, c10::str(op, ": variant must be ", kVariantChoices, ", got '", s, "'"));
}

/// Validated (variant, N, eps); GEM must be given eps = 1.
inline Params params_from(const char* op, c10::string_view variant, int64_t N, double eps) {
  const Variant v = variant_from(op, variant);
  try {
    validate_order(static_cast<double>(N));
    return make_params(v, static_cast<int>(N), eps);
  } catch (const std::invalid_argument& e) {
    C10_THROW_ERROR(ValueError, c10::str(op, ": ", e.what()));
  }
}

/// An activation spec (include/gem/spec.h), parse errors as ValueError with the op's name.
inline ActivationSpec spec_from(const char* op, c10::string_view text) {
  try {
    return ActivationSpec::parse(std::string(text.data(), text.size()));
  } catch (const std::invalid_argument& e) {
    C10_THROW_ERROR(ValueError, c10::str(op, ": ", e.what()));
  }
}

/// A validated derivative order k (0 <= k <= kMaxDerivativeOrder).
inline int derivative_order_from(const char* op, int64_t k) {
  try {
    validate_derivative_order(static_cast<double>(k));
  } catch (const std::invalid_argument& e) {
    C10_THROW_ERROR(ValueError, c10::str(op, ": ", e.what()));
  }
  return static_cast<int>(k);
}

/// "[2, 3]": shapes are written out here rather than streamed as IntArrayRef into an error
/// message, which crashed PyTorch 2.11's Python error path (bench/RESULTS.md, GPU section).
inline std::string shape_text(at::IntArrayRef shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

/// The same for a shape that may be symbolic (torch.compile with dynamic shapes): every check
/// below compares sym_sizes, so that the Meta kernels trace a symbolic shape without reading it.
inline std::string shape_text(c10::SymIntArrayRef shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + c10::str(shape[i]);
  return text + "]";
}

inline bool is_supported_dtype(at::ScalarType t) {
  return t == at::kDouble || t == at::kFloat || t == at::kHalf || t == at::kBFloat16;
}

/// A floating tensor of one of the four supported dtypes.
inline void check_floating(const char* op, const char* name, const at::Tensor& t) {
  TORCH_CHECK(t.defined(), op, ": ", name, " is an undefined tensor");
  TORCH_CHECK_TYPE(is_supported_dtype(t.scalar_type()), op, ": ", name,
                   " must be a floating-point tensor (float64, float32, float16 or bfloat16), got ",
                   t.scalar_type());
}

/// `other` (e.g. grad_out) has the shape, dtype and device of x.
inline void check_like_x(const char* op, const char* name, const at::Tensor& other, const at::Tensor& x) {
  check_floating(op, name, other);
  TORCH_CHECK_VALUE(other.sym_sizes() == x.sym_sizes(), op, ": ", name, " shape ", shape_text(other.sym_sizes()),
                    " does not match x shape ", shape_text(x.sym_sizes()));
  TORCH_CHECK_TYPE(other.scalar_type() == x.scalar_type(), op, ": ", name, " dtype ", other.scalar_type(),
                   " does not match x dtype ", x.scalar_type());
  TORCH_CHECK(other.device() == x.device(), op, ": ", name, " is on ", other.device(), " but x is on ", x.device());
}

/// eps given as a tensor, as PReLU's weight: one value for every element, or one per channel
/// along channel_dim (a one-dimensional tensor of x.size(channel_dim) values); floating, on x's
/// device, only for E-GEM and SE-GEM.
inline void check_eps_tensor(const char* op, Variant v, const at::Tensor& eps, const at::Tensor& x,
                             int64_t channel_dim) {
  TORCH_CHECK_VALUE(v != Variant::gem, op, ": GEM has no eps (it is fixed at 1); use variant egem for a GEM "
                    "with a learnable eps");
  TORCH_CHECK(eps.defined(), op, ": eps is an undefined tensor");
  TORCH_CHECK_TYPE(is_supported_dtype(eps.scalar_type()), op,
                   ": eps must be a floating-point tensor (float64, float32, float16 or bfloat16), got ",
                   eps.scalar_type());
  TORCH_CHECK(eps.device() == x.device(), op, ": eps is on ", eps.device(), " but x is on ", x.device());
  if (eps.sym_numel() == 1) return;
  TORCH_CHECK_VALUE(x.dim() >= 1 && channel_dim >= -x.dim() && channel_dim < x.dim(), op, ": channel_dim ", channel_dim,
                    " is not a dimension of x (shape ", shape_text(x.sym_sizes()), ")");
  const int64_t dim = channel_dim < 0 ? channel_dim + x.dim() : channel_dim;
  TORCH_CHECK_VALUE(eps.dim() == 1 && eps.sym_numel() == x.sym_size(dim), op,
                    ": eps must hold one value or one per channel (", c10::str(x.sym_size(dim)), " along dimension ",
                    dim, " of x, shape ", shape_text(x.sym_sizes()), "), got shape ", shape_text(eps.sym_sizes()));
}

/// channel_dim as a dimension index of x (negative counts from the end).
inline int64_t channel_dimension(const at::Tensor& x, int64_t channel_dim) {
  return channel_dim < 0 ? channel_dim + x.dim() : channel_dim;
}

/// Validates eps values read from a tensor (one per channel): finite and > 0, as spec 4 says.
inline void validate_eps_values(const char* op, Variant v, const double* eps, int64_t count) {
  for (int64_t c = 0; c < count; ++c) {
    try {
      validate_eps(v, eps[c]);
    } catch (const std::invalid_argument& e) {
      C10_THROW_ERROR(ValueError, count == 1 ? c10::str(op, ": ", e.what())
                                             : c10::str(op, ": ", e.what(), " (the eps of channel ", c, ")"));
    }
  }
}

}  // namespace gem::torch_ext
