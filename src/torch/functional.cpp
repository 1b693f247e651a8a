// The C++ entry points: typed handles to the registered operators, looked up once.
#include "gem/torch/functional.h"

#include <ATen/core/dispatch/Dispatcher.h>

namespace gem::torch_ext {
namespace {

template <class Signature>
c10::TypedOperatorHandle<Signature> find_op(const char* name, const char* overload = "") {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, overload).typed<Signature>();
}

using Str = c10::string_view;
using T = at::Tensor;

const auto& forward_op() {
  static const auto op = find_op<T(const T&, Str, int64_t, double)>("gem::forward");
  return op;
}
const auto& forward_spec_op() {
  static const auto op = find_op<T(const T&, Str)>("gem::forward", "spec");
  return op;
}
const auto& forward_out_op() {
  static const auto op = find_op<T&(const T&, Str, int64_t, double, T&)>("gem::forward_out");
  return op;
}
const auto& backward_op() {
  static const auto op = find_op<T(const T&, const T&, Str, int64_t, double)>("gem::backward");
  return op;
}
const auto& backward_spec_op() {
  static const auto op = find_op<T(const T&, const T&, Str)>("gem::backward", "spec");
  return op;
}
const auto& derivative_op() {
  static const auto op = find_op<T(const T&, Str, int64_t, double, int64_t)>("gem::derivative");
  return op;
}
const auto& derivative_spec_op() {
  static const auto op = find_op<T(const T&, Str, int64_t)>("gem::derivative", "spec");
  return op;
}
const auto& backward_out_op() {
  static const auto op = find_op<T&(const T&, const T&, Str, int64_t, double, T&)>("gem::backward_out");
  return op;
}
const auto& backward_grad2_op() {
  static const auto op = find_op<T(const T&, const T&, Str, int64_t, double)>("gem::backward_grad2");
  return op;
}
const auto& forward_eps_tensor_op() {
  static const auto op = find_op<T(const T&, Str, int64_t, const T&, int64_t)>("gem::forward_eps_tensor");
  return op;
}
const auto& backward_eps_tensor_op() {
  static const auto op = find_op<T(const T&, const T&, Str, int64_t, const T&, int64_t)>("gem::backward_eps_tensor");
  return op;
}
const auto& backward_grad2_eps_tensor_op() {
  static const auto op =
      find_op<T(const T&, const T&, Str, int64_t, const T&, int64_t)>("gem::backward_grad2_eps_tensor");
  return op;
}
const auto& eps_tensor_grads_op() {
  static const auto op =
      find_op<std::tuple<T, T>(const T&, const T&, Str, int64_t, const T&, int64_t)>("gem::eps_tensor_grads");
  return op;
}
const auto& eps_partial_op() {
  static const auto op = find_op<T(const T&, Str, int64_t, const T&, int64_t, int64_t)>("gem::eps_partial");
  return op;
}
const auto& glu_op() {
  static const auto op = find_op<T(const T&, Str)>("gem::glu");
  return op;
}
const auto& glu_forward_op() {
  static const auto op = find_op<T(const T&, Str, int64_t, double)>("gem::glu_forward");
  return op;
}
const auto& activation_op() {
  static const auto op = find_op<T(const T&, Str)>("gem::activation");
  return op;
}

}  // namespace

at::Tensor forward(const at::Tensor& x, const Params& p) {
  return forward_op().call(x, variant_name(p.variant), p.N, p.eps);
}
at::Tensor forward(const at::Tensor& x, const std::string& spec) { return forward_spec_op().call(x, spec); }
at::Tensor& forward_out(at::Tensor& out, const at::Tensor& x, const Params& p) {
  return forward_out_op().call(x, variant_name(p.variant), p.N, p.eps, out);
}

at::Tensor backward(const at::Tensor& grad_out, const at::Tensor& x, const Params& p) {
  return backward_op().call(grad_out, x, variant_name(p.variant), p.N, p.eps);
}
at::Tensor backward(const at::Tensor& grad_out, const at::Tensor& x, const std::string& spec) {
  return backward_spec_op().call(grad_out, x, spec);
}
at::Tensor& backward_out(at::Tensor& grad_in, const at::Tensor& grad_out, const at::Tensor& x, const Params& p) {
  return backward_out_op().call(grad_out, x, variant_name(p.variant), p.N, p.eps, grad_in);
}

at::Tensor backward_grad2(const at::Tensor& grad, const at::Tensor& x, const Params& p) {
  return backward_grad2_op().call(grad, x, variant_name(p.variant), p.N, p.eps);
}

at::Tensor derivative(const at::Tensor& x, const Params& p, int64_t k) {
  return derivative_op().call(x, variant_name(p.variant), p.N, p.eps, k);
}
at::Tensor derivative(const at::Tensor& x, const std::string& spec, int64_t k) {
  return derivative_spec_op().call(x, spec, k);
}

at::Tensor forward_eps_tensor(const at::Tensor& x, Variant variant, int N, const at::Tensor& eps, int64_t channel_dim) {
  return forward_eps_tensor_op().call(x, variant_name(variant), N, eps, channel_dim);
}
at::Tensor backward_eps_tensor(const at::Tensor& grad_out, const at::Tensor& x, Variant variant, int N,
                               const at::Tensor& eps, int64_t channel_dim) {
  return backward_eps_tensor_op().call(grad_out, x, variant_name(variant), N, eps, channel_dim);
}
at::Tensor backward_grad2_eps_tensor(const at::Tensor& grad, const at::Tensor& x, Variant variant, int N,
                                     const at::Tensor& eps, int64_t channel_dim) {
  return backward_grad2_eps_tensor_op().call(grad, x, variant_name(variant), N, eps, channel_dim);
}
std::tuple<at::Tensor, at::Tensor> eps_tensor_grads(const at::Tensor& grad_out, const at::Tensor& x, Variant variant,
                                                    int N, const at::Tensor& eps, int64_t channel_dim) {
  return eps_tensor_grads_op().call(grad_out, x, variant_name(variant), N, eps, channel_dim);
}
at::Tensor eps_partial(const at::Tensor& x, Variant variant, int N, const at::Tensor& eps, Quantity which,
                       int64_t channel_dim) {
  return eps_partial_op().call(x, variant_name(variant), N, eps, eps_partial_index(which), channel_dim);
}

at::Tensor activation(const at::Tensor& x, const std::string& spec) { return activation_op().call(x, spec); }

at::Tensor glu(const at::Tensor& x, const std::string& spec) { return glu_op().call(x, spec); }
at::Tensor glu(const at::Tensor& x, const Params& p) {
  return glu_forward_op().call(x, variant_name(p.variant), p.N, p.eps);
}

}  // namespace gem::torch_ext
