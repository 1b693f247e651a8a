// Running a helper program (gnuplot, a gem-train worker) without a shell, so no argument needs
// quoting, and making sure it does not outlive the program that started it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace gem::support {

/// `program` itself if it contains a '/' and is executable, else the first executable
/// PATH entry of that name; empty when there is none.
std::string find_executable(const std::string& program);

struct ProcessOptions {
  /// The child gets SIGTERM when the thread that started it ends, above all when this process
  /// dies, even by SIGKILL (Linux's PR_SET_PDEATHSIG): a killed sweep leaves no worker running.
  bool die_with_parent = false;
};

/// Runs argv (argv[0] a path to an executable) with stdin from /dev/null and stdout and stderr
/// appended to `log`, waits, and returns its exit status (128 + signal number if killed).
/// While it runs, signal_children() reaches it. Throws std::runtime_error if it cannot start.
int run_process(const std::vector<std::string>& argv, const std::filesystem::path& log,
                const ProcessOptions& options = {});

/// Sends `signal` to every child of run_process still running, and to those remember_child
/// entered. Async-signal-safe: a signal handler may call it.
void signal_children(int signal) noexcept;

/// Enters `pid`, a child started by other means (the ranks of rank_launcher.h), in the table
/// signal_children() reaches, until forget_child(pid).
void remember_child(pid_t pid) noexcept;
void forget_child(pid_t pid) noexcept;

}  // namespace gem::support
