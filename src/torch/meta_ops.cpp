// The Meta kernels of the gem operators: the op bodies of device_ops.h with kernels that do
// nothing, so each op on the meta device returns outputs of the right shape, dtype and strides
// (channels-last stays channels-last) after the same argument checks as on CPU and CUDA, and
// never reads a value. FakeTensor, torch.compile, torch.export and deferred (meta-device)
// initialisation trace through models that use them.
#include <torch/library.h>

#include "src/torch/device_ops.h"

namespace gem::torch_ext {
namespace {

void forward(const char*, const EpsChannels&, const at::Tensor&, const at::Tensor&) {}
void backward(const char*, const EpsChannels&, const at::Tensor&, const at::Tensor&, const at::Tensor&) {}
void backward_grad2(const char*, const EpsChannels&, const at::Tensor&, const at::Tensor&, const at::Tensor&) {}
void eps_grads(const char*, const EpsChannels&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
               const at::Tensor&) {}
void eps_partial(const char*, const EpsChannels&, EpsPartialKind, const at::Tensor&, const at::Tensor&) {}
void bias_forward(const Params&, const at::Tensor&, const at::Tensor&, const at::Tensor&) {}
void bias_backward(const Params&, const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                   const at::Tensor&) {}

constexpr DeviceKernels kMetaKernels{&forward,     &backward,     &backward_grad2, &eps_grads,
                                     &eps_partial, &bias_forward, &bias_backward};

}  // namespace

TORCH_LIBRARY_IMPL(gem, Meta, m) { register_device_ops<kMetaKernels>(m); }

}  // namespace gem::torch_ext
