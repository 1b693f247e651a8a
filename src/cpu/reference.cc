// The plain scalar path: one element at a time through include/gem/act/gem.h. Single threaded;
// every other path is tested against it.
//
// Working format (spec 3.2): double for double; float for float and the 16-bit types (widen,
// compute, narrow once), except when eps lies outside [2^-126, FLT_MAX], where binary32
// constants would lose precision: then binary64, rounded once to the storage type.
#include <cstddef>
#include <type_traits>

#include "gem/act/gem.h"
#include "gem/act/gem_eps_grad.h"
#include "gem/act/gem_constants.h"
#include "gem/numeric.h"
#include "gem/params.h"
#include "gem/quantity.h"
#include "gem/cpu/kernels.h"
#include "gem/round_once.h"

namespace gem::cpu::reference {
namespace {

template <class T>
bool computes_in_binary64(const Params& p) {
  return std::is_same_v<T, double> || needs_binary64<T>(p.eps);
}

// out[i] = rhs(i) (times grad[i] when grad is given), in working format W, rounded once.
// which: value, grad or grad2.
template <class W, class T>
void evaluate(const Params& p, Quantity which, const T* grad, const T* x, T* out, std::size_t n) {
  const GemConstants<W> c = make_constants<W>(p);
  for (std::size_t i = 0; i < n; ++i) {
    const W xi = static_cast<W>(widen(x[i]));
    const Derivs<W> d = gem_derivs(p.variant, xi, c);
    W y = which == Quantity::value ? d.f : which == Quantity::grad ? d.df : d.d2f;
    if (grad) y = static_cast<W>(widen(grad[i])) * y;
    if constexpr (std::is_same_v<W, double>) {
      out[i] = round_once<T>(y);
    } else {
      out[i] = narrow<T>(y);
    }
  }
}

template <class T>
void run(const Params& p, Quantity which, const T* grad, const T* x, T* out, std::size_t n) {
  validate(p);
  if (computes_in_binary64<T>(p)) {
    evaluate<double>(p, which, grad, x, out, n);
  } else {
    evaluate<opmath_t<T>>(p, which, grad, x, out, n);
  }
}

}  // namespace

template <class T>
void forward(const Params& p, const T* x, T* y, std::size_t n) {
  run<T>(p, Quantity::value, nullptr, x, y, n);
}

template <class T>
void backward(const Params& p, const T* grad_out, const T* x, T* grad_in, std::size_t n) {
  run<T>(p, Quantity::grad, grad_out, x, grad_in, n);
}

template <class T>
void backward_grad2(const Params& p, const T* grad, const T* x, T* out, std::size_t n) {
  run<T>(p, Quantity::grad2, grad, x, out, n);
}

template <class T>
void eps_partial(const Params& p, Quantity which, const T* x, T* out, std::size_t n) {
  require_eps_partial(which, "gem::cpu::reference::eps_partial");
  validate(p);
  using W = opmath_t<T>;
  const EpsGradConstants<W> c = make_eps_grad_constants<W>(p.N, p.eps);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = narrow<T>(gem_eps_partial(p.variant, which, static_cast<W>(widen(x[i])), c));
}

template <class T>
double eps_grads(const Params& p, const T* grad_out, const T* x, T* grad_in, std::size_t n) {
  backward(p, grad_out, x, grad_in, n);
  using W = opmath_t<T>;
  const EpsGradConstants<W> c = make_eps_grad_constants<W>(p.N, p.eps);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i)
    sum += static_cast<double>(widen(grad_out[i])) *
           static_cast<double>(gem_eps_partial(p.variant, Quantity::df_deps, static_cast<W>(widen(x[i])), c));
  return sum;
}

#define GEM_CPU_REFERENCE_INSTANTIATE(T)                                               \
  template void forward<T>(const Params&, const T*, T*, std::size_t);                  \
  template void backward<T>(const Params&, const T*, const T*, T*, std::size_t);       \
  template void backward_grad2<T>(const Params&, const T*, const T*, T*, std::size_t); \
  template void eps_partial<T>(const Params&, Quantity, const T*, T*, std::size_t);    \
  template double eps_grads<T>(const Params&, const T*, const T*, T*, std::size_t);
GEM_CPU_REFERENCE_INSTANTIATE(double)
GEM_CPU_REFERENCE_INSTANTIATE(float)
GEM_CPU_REFERENCE_INSTANTIATE(half)
GEM_CPU_REFERENCE_INSTANTIATE(bfloat16)
#undef GEM_CPU_REFERENCE_INSTANTIATE

}  // namespace gem::cpu::reference
