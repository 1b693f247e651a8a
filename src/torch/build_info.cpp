// gem::build_info(): what this library is, for `python -m gem` and bug reports. The version and
// the torch it was compiled against come from the build (CMake, torch/version.h); the SIMD target
// is the one Highway's dispatch picked on this CPU at run time.
#include <torch/library.h>
#include <torch/version.h>

#include <string>

#include "gem/cpu/kernels.h"

namespace gem::torch_ext {
namespace {

std::string build_info() {
  return std::string("{\"version\": \"") + GEM_VERSION_STRING + "\", \"torch_version\": \"" + TORCH_VERSION +
         "\", \"cuda\": " + (GEM_TORCH_CUDA ? "true" : "false") + ", \"simd_target\": \"" + cpu::simd_target() + "\"}";
}

}  // namespace

// JSON: version, torch_version (built against), cuda (has the CUDA kernels), simd_target. No
// tensor argument, so no dispatch key: one kernel for every caller.
TORCH_LIBRARY_FRAGMENT(gem, m) { m.def("build_info() -> str", &build_info); }

}  // namespace gem::torch_ext
