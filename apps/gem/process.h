// Running a helper program (gnuplot) without a shell, so no path or title needs quoting.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace gem::app {

/// `program` itself if it contains a '/' and is executable, else the first executable
/// PATH entry of that name; empty when there is none.
std::string find_executable(const std::string& program);

/// Runs argv (argv[0] a path to an executable) with stdin from /dev/null and stdout and stderr
/// appended to `log`, waits, and returns its exit status (128 + signal number if killed).
/// Throws std::runtime_error if it cannot be started.
int run_process(const std::vector<std::string>& argv, const std::filesystem::path& log);

}  // namespace gem::app
