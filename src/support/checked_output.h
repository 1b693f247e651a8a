// Output that reports its failures: a full disk, a closed pipe or /dev/full makes a tool fail
// with a message instead of exiting 0 with its results cut short.
#pragma once

#include <ostream>
#include <string>

namespace gem::support {

/// Flushes `out` and throws std::runtime_error("cannot write <what>: <cause>") when it or any
/// earlier write to it failed. Call it right after the writes it checks: iostreams keep no
/// cause, so it is taken from errno.
void check_written(std::ostream& out, const std::string& what);

/// The end of a tool's main: flushes standard output; when that or an earlier write to it
/// failed, prints "<tool>: cannot write the standard output: <cause>" to standard error and
/// returns 1 (or `status` when that already reports a failure), else returns `status`.
int finish_standard_output(const std::string& tool, int status);

}  // namespace gem::support
