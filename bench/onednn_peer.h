// oneDNN's eltwise kernels as a peer of the gem kernels in `gem bench --onednn`: what a user of a
// CPU inference or training stack would run instead (relu, gelu_erf, gelu_tanh, swish), on the
// benchmark's own buffers and threads, forward (y = f(x)) and backward (dx = dy f'(x)).
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gem::bench {

/// The algorithms timed, by oneDNN's name.
const std::vector<std::string>& onednn_algorithms();

/// True when this build has oneDNN (Debian: libdnnl-dev).
bool have_onednn();

/// oneDNN has no such primitive on this CPU (bfloat16 eltwise needs AVX-512, for instance).
struct OneDnnUnsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A ready oneDNN call over `n` elements of dtype ("float32" or "bfloat16"): forward reads x,
/// writes y; backward reads x and dy (`grad`), writes dx (`y`). run() executes it once and waits.
/// Throws OneDnnUnsupported when oneDNN has no such primitive on this CPU, std::runtime_error on
/// other oneDNN errors.
std::function<void()> onednn_eltwise(const std::string& algorithm, const std::string& dtype, bool backward, void* x,
                                     void* grad, void* y, std::size_t n);

}  // namespace gem::bench
