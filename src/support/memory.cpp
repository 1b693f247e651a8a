#include "src/support/memory.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

namespace gem::support {

namespace {

std::uint64_t machine_available() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) : 0;
}

// What the address-space limit (ulimit -v, prlimit --as) leaves this process.
std::optional<std::uint64_t> address_space_left() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0;
  statm >> pages;
  const std::uint64_t used = pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGE_SIZE));
  return limit.rlim_cur > used ? limit.rlim_cur - used : 0;
}

// What the memory cgroup (v2) leaves: memory.max - memory.current, when there is a limit.
std::optional<std::uint64_t> cgroup_left() {
  std::ifstream max_file("/sys/fs/cgroup/memory.max"), current_file("/sys/fs/cgroup/memory.current");
  std::string max_text;
  std::uint64_t current = 0;
  if (!(max_file >> max_text) || max_text == "max" || !(current_file >> current)) return std::nullopt;
  const std::uint64_t max = std::strtoull(max_text.c_str(), nullptr, 10);
  return max > current ? max - current : 0;
}

}  // namespace

std::uint64_t available_memory_bytes() {
  std::uint64_t available = machine_available();
  for (const auto& left : {address_space_left(), cgroup_left()})
    if (left) available = std::min(available, *left);
  return available;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int u = 0;
  while (u < 3 && bytes >= 1024) {
    bytes /= 1024;
    ++u;
  }
  char buf[48];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%.0f B", bytes);
  else if (bytes < 1e6)
    std::snprintf(buf, sizeof buf, "%.1f %s", bytes, units[u]);
  else
    std::snprintf(buf, sizeof buf, "%.1e %s", bytes, units[u]);
  return buf;
}

}  // namespace gem::support
