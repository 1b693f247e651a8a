// f^(k) of any order on arrays (kernels.h: derivative): each element through gem_derivative
// (include/gem/act/gem_derivative.h) in binary64 and rounded once to the storage type, in the
// fixed chunks of threads.h.
#include <cstddef>

#include "gem/act/gem_constants.h"
#include "gem/act/gem_derivative.h"
#include "gem/numeric.h"
#include "gem/params.h"
#include "src/cpu/kernels.h"
#include "src/cpu/round_once.h"
#include "src/cpu/threads.h"

namespace gem::cpu {

template <class T>
void derivative(const Params& p, int k, const T* x, T* out, std::size_t n, int threads) {
  validate(p);
  validate_derivative_order(k);
  const int team = resolve_threads(threads);
  const GemConstants<double> c = make_constants<double>(p);
  parallel_ranges(n, team, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i)
      out[i] = round_once<T>(gem_derivative(p.variant, k, static_cast<double>(widen(x[i])), c));
  });
}

template void derivative<double>(const Params&, int, const double*, double*, std::size_t, int);
template void derivative<float>(const Params&, int, const float*, float*, std::size_t, int);
template void derivative<half>(const Params&, int, const half*, half*, std::size_t, int);
template void derivative<bfloat16>(const Params&, int, const bfloat16*, bfloat16*, std::size_t, int);

}  // namespace gem::cpu
