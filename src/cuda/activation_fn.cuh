// The per-element functions the kernels apply, as small functors passed by value to a kernel.
// They only call the core headers (one statement of the math): f and f' through the lane forms
// of gem_lanes.h with a compile-time N, f'' and the binary64 fallback through gem.h, the
// eps-derivatives through gem_eps_grad.h.
//
// Dispatch (host): GEM uses E-GEM's functors (eps = 1), so each storage type has 2 x 8 lane
// functors per derivative. Float and 16-bit storage with eps outside [2^-126, FLT_MAX] use the
// reference functor in double (spec 3.2: "evaluate in binary64 and round once").
#pragma once

#include <type_traits>

#include "gem/act/gem.h"
#include "gem/act/gem_constants.h"
#include "gem/act/gem_derivative.h"
#include "gem/act/gem_eps_grad.h"
#include "gem/act/gem_lanes.h"
#include "gem/numeric.h"
#include "gem/params.h"
#include "gem/quantity.h"

namespace gem::cuda::detail {

/// f or f' by the branch-free lane forms; M is float or double.
template <int N, bool kSegem, Quantity kWhich, class M>
struct LaneFn {
  static_assert(kWhich != Quantity::grad2, "f'' has no lane form: use ReferenceFn");
  using Math = M;
  LaneConstants<M> k;

  __device__ __forceinline__ M operator()(M x) const {
    if constexpr (kWhich == Quantity::value) {
      if constexpr (kSegem) return segem_lanes<N>(x, k);
      else return egem_lanes<N>(x, k);
    } else {
      if constexpr (kSegem) return segem_grad_lanes<N>(x, k);
      else return egem_grad_lanes<N>(x, k);
    }
  }
};

/// f, f' or f'' by the reference algorithm (runtime variant and N).
template <Quantity kWhich, class M>
struct ReferenceFn {
  using Math = M;
  Variant variant;
  GemConstants<M> c;

  __device__ __forceinline__ M operator()(M x) const {
    if constexpr (kWhich == Quantity::value)
      return gem_f(variant, x, c);
    else if constexpr (kWhich == Quantity::grad)
      return gem_grad(variant, x, c);
    else return gem_grad2(variant, x, c);
  }
};

/// df/deps, d2f/(dx deps) or d2f/deps2 (gem_eps_grad.h; runtime variant, N and which: uniform
/// across the grid, so no divergence).
template <class M>
struct EpsPartialFn {
  using Math = M;
  Variant variant;
  EpsGradConstants<M> c;
  Quantity which;

  __device__ __forceinline__ M operator()(M x) const { return gem_eps_partial(variant, which, x, c); }
};

/// f^(k) for any order (gem_derivative.h), in binary64 for every storage type (runtime k:
/// uniform across the grid).
struct DerivativeFn {
  using Math = double;
  Variant variant;
  int k;
  GemConstants<double> c;

  __device__ __forceinline__ double operator()(double x) const { return gem_derivative(variant, k, x, c); }
};

/// Broadcast for lane_constants when the lane type is the scalar itself.
struct SameScalar {
  template <class W>
  __host__ __device__ W operator()(W v) const {
    return v;
  }
};

template <int N, Quantity kWhich, class M, class Launch>
void dispatch_lane_order(const Params& p, const LaneConstants<M>& k, Launch& launch) {
  if constexpr (N <= kMaxOrder) {
    if (p.N != N) return dispatch_lane_order<N + 1, kWhich>(p, k, launch);
    if (p.variant == Variant::segem) launch(LaneFn<N, true, kWhich, M>{k});
    else launch(LaneFn<N, false, kWhich, M>{k});
  }
}

/// Calls launch(fn) with the functor that computes derivative kWhich for storage type T and
/// parameters p (validated first: throws std::invalid_argument).
template <class T, Quantity kWhich, class Launch>
void with_activation_fn(const Params& p, Launch&& launch) {
  validate(p);
  using M = opmath_t<T>;
  if (needs_binary64<T>(p.eps)) {
    launch(ReferenceFn<kWhich, double>{p.variant, make_constants<double>(p)});
  } else if constexpr (kWhich == Quantity::grad2) {
    launch(ReferenceFn<kWhich, M>{p.variant, make_constants<M>(p)});
  } else {
    const LaneConstants<M> k = lane_constants<M>(make_constants<M>(p), SameScalar{});
    dispatch_lane_order<kMinOrder, kWhich>(p, k, launch);
  }
}

}  // namespace gem::cuda::detail
