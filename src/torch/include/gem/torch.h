// The public header of the LibTorch glue (target gem::torch, library libgem_torch.so): the
// operators as C++ functions and the torch::nn modules. Linking gem::torch also registers the
// `gem` operators with the dispatcher (torch.ops.gem.* in Python after torch.ops.load_library).
#pragma once

#include "gem/torch/functional.h"
#include "gem/torch/init.h"
#include "gem/torch/modules.h"
