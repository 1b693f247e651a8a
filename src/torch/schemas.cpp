// Every operator of the `gem` namespace, declared once. Kernels live one file per dispatch key:
// cpu_ops.cpp (CPU), autograd.cpp (Autograd), composite.cpp (CompositeImplicitAutograd); a CUDA
// file registers TORCH_LIBRARY_IMPL(gem, CUDA, m) for the same device ops.
//
// The activation is given either as (variant, N, eps) with variant "gem", "egem" or "segem"
// (GEM takes eps = 1) or as a spec string ("egem:N=1,eps=1e-4", include/gem/spec.h).
// "backward" only ever means grad_out * f'(x); backward_grad2 is grad * f''(x), the kernel of
// the second-order derivative. The *_eps_tensor ops take eps as a one-element tensor so that it
// can be learned: they are differentiable in eps, through eps_partial:
//   which = 0: df/deps,  1: d2f/(dx deps),  2: d2f/deps2   (include/gem/act/gem_eps_grad.h).
#include <torch/library.h>

TORCH_LIBRARY(gem, m) {
  // Device ops: a kernel per device.
  m.def("forward(Tensor x, str variant, int N, float eps) -> Tensor");
  m.def("forward_out(Tensor x, str variant, int N, float eps, *, Tensor(a!) out) -> Tensor(a!)");
  m.def("backward(Tensor grad_out, Tensor x, str variant, int N, float eps) -> Tensor");
  m.def("backward_out(Tensor grad_out, Tensor x, str variant, int N, float eps, *, Tensor(a!) grad_in) -> Tensor(a!)");
  m.def("backward_grad2(Tensor grad, Tensor x, str variant, int N, float eps) -> Tensor");
  m.def("forward_eps_tensor(Tensor x, str variant, int N, Tensor eps) -> Tensor");
  m.def("backward_eps_tensor(Tensor grad_out, Tensor x, str variant, int N, Tensor eps) -> Tensor");
  m.def("eps_partial(Tensor x, str variant, int N, Tensor eps, int which) -> Tensor");

  // Composite ops: parse the spec and call the ops above (or torch's own activations).
  m.def("forward.spec(Tensor x, str spec) -> Tensor");
  m.def("backward.spec(Tensor grad_out, Tensor x, str spec) -> Tensor");
  m.def("activation(Tensor x, str spec) -> Tensor");

  // build_info() -> str, what this library is, takes no tensor: defined with its one kernel in
  // build_info.cpp.
}
