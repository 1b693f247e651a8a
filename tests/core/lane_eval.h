// Runs the lane forms of gem_lanes.h (compile-time N) for a run-time N on scalar lanes
// (V = float or double), so tests can sweep N like the reference algorithm's.
#pragma once

#include <stdexcept>
#include <string>

#include "gem/act/gem_eps_lanes.h"
#include "gem/act/gem_lanes.h"
#include "gem/params.h"
#include "gem/with_order.h"

namespace gem::testing {

template <class W>
struct LaneValues {
  W f, df;
};

template <int N, class W>
LaneValues<W> lane_values_n(Variant v, W x, const LaneConstants<W>& k) {
  if (v == Variant::segem) return {segem_lanes<N>(x, k), segem_grad_lanes<N>(x, k)};
  return {egem_lanes<N>(x, k), egem_grad_lanes<N>(x, k)};  // GEM is E-GEM at eps = 1
}

/// f and f' of the lane forms at x for order N (1..8) and the constants of (N, eps).
template <class W>
LaneValues<W> lane_values(Variant v, W x, const GemConstants<W>& c) {
  const LaneConstants<W> k = lane_constants<W>(c, [](W w) { return w; });
  return with_order(c.n, [&](auto n) { return lane_values_n<decltype(n)::value>(v, x, k); });
}

/// The lane form's value, and whether it flagged the lane for the scalar algorithm.
template <class W>
struct LaneEpsGrad {
  W value;
  bool exact;
};

template <int N, class W>
LaneEpsGrad<W> lane_eps_grad_n(Variant v, W x, const LaneConstants<W>& k, const EpsLaneScale<W>& s) {
  const auto c = v == Variant::segem ? segem_eps_grad_lanes<N>(x, k, s) : egem_eps_grad_lanes<N>(x, k, s);
  return {c.value, c.exact};
}

/// df/deps of the lane form (gem_eps_lanes.h) at x for order N (1..8) and eps, before the
/// kernels' fallback: `exact` says the kernels would use gem_eps_grad.h for this lane.
template <class W>
LaneEpsGrad<W> lane_eps_grad_raw(Variant v, W x, int N, double eps) {
  const LaneConstants<W> k = lane_constants<W>(make_constants<W>(N, eps), [](W w) { return w; });
  const EpsLaneScale<W> s = eps_lane_scale<W>(make_eps_scale<W>(N, eps), [](W w) { return w; });
  return with_order(N, [&](auto n) { return lane_eps_grad_n<decltype(n)::value>(v, x, k, s); });
}

/// What the kernels compute: the lane form, or gem_eps_grad.h on the lanes it flags.
template <class W>
W lane_eps_grad(Variant v, W x, int N, double eps) {
  const LaneEpsGrad<W> c = lane_eps_grad_raw<W>(v, x, N, eps);
  if (!c.exact) return c.value;
  return gem_eps_partial(v, Quantity::df_deps, x, make_eps_grad_constants<W>(N, eps));
}

}  // namespace gem::testing
