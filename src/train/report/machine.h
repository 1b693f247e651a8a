// A one-line description of the machine a report was made on, and the date.
#pragma once

#include <string>

namespace gem::train {

/// e.g. "Intel(R) Xeon(R) Platinum 8480+ (2 logical CPUs), Linux 6.1.0": the CPU model from
/// /proc/cpuinfo (or "unknown CPU"), the logical CPU count and the kernel.
std::string machine_description();

/// The current UTC date and time, "2025-01-31 14:05 UTC".
std::string utc_now();

}  // namespace gem::train
