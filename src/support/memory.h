// Sizes computed from untrusted numbers (a file header, a flag): products that cannot wrap, and
// the memory this machine has, so that an absurd size is refused with a message instead of a
// crash or std::bad_alloc.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

namespace gem::support {

/// The product of `factors`, or nothing when it does not fit in 64 bits.
inline std::optional<std::uint64_t> checked_product(std::initializer_list<std::uint64_t> factors) {
  std::uint64_t product = 1;
  for (const std::uint64_t f : factors)
    if (__builtin_mul_overflow(product, f, &product)) return std::nullopt;
  return product;
}

/// Bytes of memory available to a new allocation: MemAvailable of /proc/meminfo (else the
/// physical memory), less where the address-space limit (ulimit -v) or the memory cgroup
/// leaves this process less.
std::uint64_t available_memory_bytes();

/// "512 B", "3.0 KiB", "23.4 GiB", "2.0e+09 GiB".
std::string format_bytes(double bytes);

}  // namespace gem::support
