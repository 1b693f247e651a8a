#include "src/support/memory.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace gem::support {

std::uint64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) : 0;
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
