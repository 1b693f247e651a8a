// The activation operators of the `gem` namespace, declared once (the fused bias ops, the gated
// ops, build_info and spec_fields are declared beside their bodies: bias_ops.cpp, gated_ops.cpp,
// build_info.cpp, composite.cpp).
// The device ops have one body each
// (device_ops.h) registered per device with that device's kernel table: cpu_ops.cpp (CPU),
// cuda_ops.cpp (CUDA), meta_ops.cpp (Meta: shapes only, for FakeTensor, torch.compile and
// torch.export); autograd.cpp (Autograd) and composite.cpp (CompositeImplicitAutograd) do the rest.
//
// The activation is given either as (variant, N, eps) with variant "gem", "egem" or "segem"
// (GEM takes eps = 1) or as a spec string ("egem:N=1,eps=1e-4", include/gem/spec.h).
// "backward" only ever means grad_out * f'(x); backward_grad2 is grad * f''(x), the kernel of
// the second-order derivative. The *_eps_tensor ops take eps as a tensor so that it can be
// learned: one value, or one per channel along channel_dim as PReLU's weight (a one-dimensional
// tensor of x.size(channel_dim) values). They are differentiable in eps through eps_partial
//   which = 0: df/deps,  1: d2f/(dx deps),  2: d2f/deps2   (include/gem/act/gem_eps_grad.h)
// and eps_tensor_grads, both first-order gradients of forward_eps_tensor in one pass:
//   (grad_x, grad_eps) = (grad_out f'(x), sum over each channel of grad_out df/deps).
// derivative is f^(k)(x) for any order k (include/gem/act/gem_derivative.h); its backward is the
// (k+1)-th, so autograd goes to any depth.
#include <torch/library.h>

TORCH_LIBRARY(gem, m) {
  // Device ops: one body, a kernel table per device.
  m.def("forward(Tensor x, str variant, int N, float eps) -> Tensor");
  m.def("forward_out(Tensor x, str variant, int N, float eps, *, Tensor(a!) out) -> Tensor(a!)");
  m.def("backward(Tensor grad_out, Tensor x, str variant, int N, float eps) -> Tensor");
  m.def("backward_out(Tensor grad_out, Tensor x, str variant, int N, float eps, *, Tensor(a!) grad_in) -> Tensor(a!)");
  m.def("backward_grad2(Tensor grad, Tensor x, str variant, int N, float eps) -> Tensor");
  m.def("forward_eps_tensor(Tensor x, str variant, int N, Tensor eps, int channel_dim=1) -> Tensor");
  m.def("backward_eps_tensor(Tensor grad_out, Tensor x, str variant, int N, Tensor eps, int channel_dim=1) -> Tensor");
  m.def(
      "backward_grad2_eps_tensor(Tensor grad, Tensor x, str variant, int N, Tensor eps, int channel_dim=1) -> Tensor");
  m.def(
      "eps_tensor_grads(Tensor grad_out, Tensor x, str variant, int N, Tensor eps, int channel_dim=1) -> "
      "(Tensor, Tensor)");
  m.def("eps_partial(Tensor x, str variant, int N, Tensor eps, int which, int channel_dim=1) -> Tensor");
  m.def("derivative(Tensor x, str variant, int N, float eps, int k) -> Tensor");

  // Composite ops: parse the spec and call the ops above (or torch's own activations).
  m.def("forward.spec(Tensor x, str spec) -> Tensor");
  m.def("backward.spec(Tensor grad_out, Tensor x, str spec) -> Tensor");
  m.def("activation(Tensor x, str spec) -> Tensor");
  m.def("derivative.spec(Tensor x, str spec, int k) -> Tensor");

  // build_info() -> str, what this library is, takes no tensor: defined with its one kernel in
  // build_info.cpp. The fused bias ops are declared in bias_ops.cpp, the gated (GLU) ops in
  // gated_ops.cpp.
}
