// Output that reports its failures: a full disk, /dev/full or a closed pipe makes a tool fail
// with a message naming the cause instead of exiting 0 with its results cut short.
#pragma once

#include <ostream>
#include <string>

namespace gem::support {

/// Makes std::cout write through a buffer that remembers why a write failed (iostreams keep no
/// cause, and errno is long gone by the time a tool looks). Call first thing in main.
void check_standard_output();

/// Flushes `out` and throws std::runtime_error("cannot write <what>: <cause>") when it or any
/// earlier write to it failed. The cause is exact for std::cout after check_standard_output();
/// for other streams it is errno, so call it right after the writes it checks.
void check_written(std::ostream& out, const std::string& what);

/// The end of a tool's main: flushes standard output; when that or an earlier write to it
/// failed, prints "<tool>: cannot write the standard output: <cause>" to standard error and
/// returns 1 (or `status` when that already reports a failure), else returns `status`.
int finish_standard_output(const std::string& tool, int status);

}  // namespace gem::support
