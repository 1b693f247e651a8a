// The Meta kernels of the gem operators: the op bodies of device_ops.h with a table that has no
// kernels, so each op on the meta device returns outputs of the right shape, dtype and strides
// (channels-last stays channels-last) after the same argument checks as on CPU and CUDA, and
// never reads a value or asks a size as a number. FakeTensor, torch.compile and torch.export
// (dynamic shapes included) and deferred (meta-device) initialisation trace through models
// that use them.
#include <torch/library.h>

#include "src/torch/device_ops.h"

namespace gem::torch_ext {
namespace {

constexpr DeviceKernels kMetaKernels{nullptr, nullptr, nullptr, nullptr, nullptr,           nullptr,
                                     nullptr, nullptr, nullptr, nullptr, /*computes=*/false};

}  // namespace

TORCH_LIBRARY_IMPL(gem, Meta, m) { register_device_ops<kMetaKernels>(m); }

}  // namespace gem::torch_ext
