// What every device's kernel file does to tensors before calling raw-pointer kernels: pick the
// gem storage type for the dtype, make buffers flat (once, only when needed) with one layout for
// an elementwise pair, and check out= arguments. Shared by cpu_ops.cpp, cuda_ops.cpp and
// gem-torch-bench (which calls gem::cpu kernels on tensors directly).
#pragma once

#include <ATen/MemoryOverlap.h>
#include <ATen/core/Tensor.h>
#include <ATen/native/Resize.h>
#include <ATen/ops/empty_like.h>
#include <c10/util/Exception.h>

#include <utility>

#include "gem/numeric.h"

namespace gem::torch_ext {

static_assert(sizeof(at::Half) == sizeof(gem::half) && sizeof(at::BFloat16) == sizeof(gem::bfloat16),
              "gem's 16-bit storage types must match ATen's bit for bit");

/// Calls f(T{}) with T the gem storage type of `st` (double, float, gem::half, gem::bfloat16).
template <class F>
void dispatch_storage(at::ScalarType st, F&& f) {
  switch (st) {
    case at::kDouble: return f(double{});
    case at::kFloat: return f(float{});
    case at::kHalf: return f(gem::half{});
    case at::kBFloat16: return f(gem::bfloat16{});
    default: TORCH_CHECK_TYPE(false, "gem: unsupported dtype ", st);
  }
}

template <class T>
T* data(const at::Tensor& t) {
  return reinterpret_cast<T*>(t.data_ptr());
}

/// The kernels see flat buffers. A tensor whose elements fill its memory exactly once
/// (contiguous, channels-last, any permutation) is used as it is; anything else is copied once.
inline at::Tensor dense(const at::Tensor& t) { return t.is_non_overlapping_and_dense() ? t : t.contiguous(); }

/// An elementwise pair needs one layout. When `a` (e.g. grad_out) is laid out differently from x,
/// `a` is copied into x's layout (channels-last stays channels-last), so the result has x's
/// layout as torch's own elementwise ops give it: handing a contiguous gradient to a
/// channels-last batch-norm backward made that backward 2.8x slower on an H200 (ResNet-56).
inline std::pair<at::Tensor, at::Tensor> dense_pair(const at::Tensor& a, const at::Tensor& x) {
  at::Tensor xd = dense(x), ad = dense(a);
  if (ad.sym_strides() == xd.sym_strides()) return {std::move(ad), std::move(xd)};
  at::Tensor a_like_x = at::empty_like(xd);  // dense xd: empty_like keeps its strides
  a_like_x.copy_(a);
  return {std::move(a_like_x), std::move(xd)};
}

/// True when `out` can be written by a kernel as the flat image of `xd` (dense, same strides).
inline bool writable_in_place(const at::Tensor& out, const at::Tensor& xd) {
  return out.is_non_overlapping_and_dense() && out.sym_strides() == xd.sym_strides();
}

// out= variants: `out` takes x's shape as torch's own out= ops do (at::native::resize_output:
// an empty `out` is resized silently, a non-empty one of another shape with torch's warning
// that this is deprecated); the kernel writes into it directly when it has x's flat layout,
// else through one temporary.
inline void check_out(const char* op, const char* name, at::Tensor& out, const at::Tensor& x) {
  TORCH_CHECK_TYPE(out.scalar_type() == x.scalar_type(), op, ": ", name, " dtype ", out.scalar_type(),
                   " does not match x dtype ", x.scalar_type());
  TORCH_CHECK(out.device() == x.device(), op, ": ", name, " is on ", out.device(), " but x is on ", x.device());
  if (out.sym_sizes() != x.sym_sizes()) at::native::resize_output(out, x.sizes());
  at::assert_no_internal_overlap(out);
  at::assert_no_partial_overlap(out, x);
}

}  // namespace gem::torch_ext
