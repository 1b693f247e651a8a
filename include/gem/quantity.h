// Which quantity of f(x; eps) a kernel computes: the value, its x-derivatives to second order and
// its eps-derivatives to second order (gem_eps_grad.h). The one spelling of "which derivative"
// for every device, layer and test; f^(k) of any order is gem::derivative (gem_derivative.h).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace gem {

enum class Quantity : int {
  value,        // f
  grad,         // f'
  grad2,        // f''
  df_deps,      // df/deps
  d2f_dx_deps,  // d2f/(dx deps) = d(f')/deps
  d2f_deps2,    // d2f/deps2
};

/// value, grad, grad2 as the order of the x-derivative (0, 1, 2).
constexpr int derivative_order(Quantity q) { return static_cast<int>(q); }

constexpr bool is_eps_partial(Quantity q) { return q >= Quantity::df_deps && q <= Quantity::d2f_deps2; }

/// Throws std::invalid_argument unless q is one of the eps-derivatives; `where` names the caller.
inline void require_eps_partial(Quantity q, const char* where) {
  if (!is_eps_partial(q))
    throw std::invalid_argument(std::string(where) +
                                ": which must be df_deps, d2f_dx_deps or d2f_deps2, got quantity " +
                                std::to_string(static_cast<int>(q)));
}

/// The eps_partial operator numbers its three quantities 0, 1, 2 (df/deps, d2f/(dx deps),
/// d2f/deps2): these convert. The caller checks the range (0 <= which <= 2).
constexpr Quantity eps_partial_quantity(int64_t which) {
  return static_cast<Quantity>(static_cast<int64_t>(Quantity::df_deps) + which);
}
constexpr int64_t eps_partial_index(Quantity q) {
  return static_cast<int64_t>(q) - static_cast<int64_t>(Quantity::df_deps);
}

}  // namespace gem
