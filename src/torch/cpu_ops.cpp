// The CPU kernels of the gem operators: the table device_ops.h's op bodies call, each entry the
// storage type's gem::cpu kernel (gem/cpu/kernels.h) on buffers already checked, laid out and
// allocated, with torch's intra-op thread count.
#include <ATen/Parallel.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include <cstddef>
#include <vector>

#include "gem/cpu/kernels.h"
#include "src/torch/bias_args.h"
#include "src/torch/device_ops.h"

namespace gem::torch_ext {
namespace {

std::size_t count(const at::Tensor& t) { return static_cast<std::size_t>(t.numel()); }

int threads() { return at::get_num_threads(); }

/// The activation for gem::cpu: its eps values read (and validated) once per call.
struct CpuActivation {
  std::vector<double> eps;
  cpu::ChannelEps channels;
  Params params;  // when there is one eps

  CpuActivation(const char* op, const EpsChannels& a) : eps(eps_values(op, a)) {
    channels = cpu::ChannelEps{a.variant, a.N, eps.data(), static_cast<std::size_t>(a.channels),
                               static_cast<std::size_t>(a.inner)};
    if (eps.size() == 1) params = Params{a.variant, a.N, eps[0]};
  }
  bool one_eps() const { return eps.size() == 1; }

  /// kernel(tag, eps) for x's storage type (decltype(tag)), eps the Params when there is one eps,
  /// else the ChannelEps: the kernels' two overloads chosen in one place.
  template <class Kernel>
  void run(const at::Tensor& x, const Kernel& kernel) const {
    dispatch_storage(x.scalar_type(), [&](auto tag) {
      if (one_eps())
        kernel(tag, params);
      else
        kernel(tag, channels);
    });
  }
};

void forward(const char* op, const EpsChannels& a, const at::Tensor& x, const at::Tensor& y) {
  CpuActivation(op, a).run(x, [&](auto tag, const auto& eps) {
    using T = decltype(tag);
    cpu::forward<T>(eps, data<T>(x), data<T>(y), count(x), threads());
  });
}

void backward(const char* op, const EpsChannels& a, const at::Tensor& grad_out, const at::Tensor& x,
              const at::Tensor& grad_in) {
  CpuActivation(op, a).run(x, [&](auto tag, const auto& eps) {
    using T = decltype(tag);
    cpu::backward<T>(eps, data<T>(grad_out), data<T>(x), data<T>(grad_in), count(x), threads());
  });
}

void backward_grad2(const char* op, const EpsChannels& a, const at::Tensor& grad, const at::Tensor& x,
                    const at::Tensor& out) {
  CpuActivation(op, a).run(x, [&](auto tag, const auto& eps) {
    using T = decltype(tag);
    cpu::backward_grad2<T>(eps, data<T>(grad), data<T>(x), data<T>(out), count(x), threads());
  });
}

void eps_grads(const char* op, const EpsChannels& a, const at::Tensor& grad_out, const at::Tensor& x,
               const at::Tensor& grad_in, const at::Tensor& eps_grad) {
  const CpuActivation act(op, a);
  std::vector<double> sums(act.eps.size(), 0.0);
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cpu::eps_grads<T>(act.channels, data<T>(grad_out), data<T>(x), data<T>(grad_in), sums.data(), count(x), threads());
  });
  // The sums are binary64; rounded once to eps's dtype.
  eps_grad.view({-1}).copy_(at::from_blob(sums.data(), {static_cast<int64_t>(sums.size())}, at::kDouble));
}

void eps_partial(const char* op, const EpsChannels& a, Quantity which, const at::Tensor& x, const at::Tensor& out) {
  CpuActivation(op, a).run(x, [&](auto tag, const auto& eps) {
    using T = decltype(tag);
    cpu::eps_partial<T>(eps, which, data<T>(x), data<T>(out), count(x), threads());
  });
}

// The fused bias ops are, on the CPU, the composition they stand for: z = x + bias in the storage
// type, then the activation (one more pass than CUDA's fused kernel, the same bits).
void bias_forward(const Params& p, const at::Tensor& x, const at::Tensor& bias, const at::Tensor& y) {
  const at::Tensor z = x + bias;
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cpu::forward<T>(p, data<T>(z), data<T>(y), count(z), threads());
  });
}

void bias_backward(const Params& p, const at::Tensor& grad_out, const at::Tensor& x, const at::Tensor& bias,
                   const at::Tensor& grad_x, const at::Tensor& grad_bias) {
  const at::Tensor z = x + bias;
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cpu::backward<T>(p, data<T>(grad_out), data<T>(z), data<T>(grad_x), count(z), threads());
  });
  grad_bias.copy_(column_sums(grad_x, bias));
}

void gated_forward(const Params& p, const at::Tensor& x, const at::Tensor& y) {
  const GatedExtent e = gated_extent(x);
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cpu::gated_forward<T>(p, data<T>(x), data<T>(y), e.rows, e.channels, threads());
  });
}

void gated_backward(const Params& p, const at::Tensor& grad_out, const at::Tensor& x, const at::Tensor& grad_x) {
  const GatedExtent e = gated_extent(x);
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cpu::gated_backward<T>(p, data<T>(grad_out), data<T>(x), data<T>(grad_x), e.rows, e.channels, threads());
  });
}

void derivative(const Params& p, int k, const at::Tensor& x, const at::Tensor& out) {
  dispatch_storage(x.scalar_type(), [&](auto tag) {
    using T = decltype(tag);
    cpu::derivative<T>(p, k, data<T>(x), data<T>(out), count(x), threads());
  });
}

constexpr DeviceKernels kCpuKernels{&forward,      &backward,      &backward_grad2, &eps_grads,      &eps_partial,
                                    &bias_forward, &bias_backward, &gated_forward,  &gated_backward, &derivative};

}  // namespace

TORCH_LIBRARY_IMPL(gem, CPU, m) { register_device_ops<kCpuKernels>(m); }

}  // namespace gem::torch_ext
