// From a run-time order N to the code instantiated per order: with_order(n, f) calls
// f(std::integral_constant<int, N>{}) for N = n. The one switch over kMinOrder..kMaxOrder, so a
// kernel table never lists the orders by hand.
//
//   RangeFn fn = with_order(p.N, [](auto n) { return &RunRange<decltype(n)::value, T>; });
#pragma once

#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "gem/params.h"

namespace gem {

namespace detail {
template <class F, int... I>
auto with_order_in(int n, F& f, std::integer_sequence<int, I...>) {
  using Result = decltype(f(std::integral_constant<int, kMinOrder>{}));
  Result result{};
  ((n == kMinOrder + I ? (void)(result = f(std::integral_constant<int, kMinOrder + I>{})) : void()), ...);
  return result;
}
}  // namespace detail

/// f(std::integral_constant<int, n>{}); throws spec 4's message when n is outside
/// [kMinOrder, kMaxOrder] (callers normally pass a validated Params::N).
template <class F>
auto with_order(int n, F&& f) {
  if (n < kMinOrder || n > kMaxOrder) throw std::invalid_argument(order_error(std::to_string(n)));
  return detail::with_order_in(n, f, std::make_integer_sequence<int, kMaxOrder - kMinOrder + 1>{});
}

}  // namespace gem
