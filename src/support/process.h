// Running a helper program (gnuplot, a gem-train worker) without a shell, so no argument needs
// quoting, and making sure it does not outlive the program that started it.
#pragma once

#include <signal.h>
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

/// SIGINT and SIGTERM held back while a child is forked and entered in the table, so that a
/// handler forwarding them (signal_children) cannot miss it. The forked child calls child_side()
/// (both back to their default action, then released: a forwarded SIGTERM ends it); the parent
/// release()s them once the child is remembered (the destructor does, if it has not).
class StopSignalsHeld {
 public:
  StopSignalsHeld();
  ~StopSignalsHeld() { release(); }
  StopSignalsHeld(const StopSignalsHeld&) = delete;
  StopSignalsHeld& operator=(const StopSignalsHeld&) = delete;

  void release() noexcept;
  void child_side() const noexcept;  // async-signal-safe, for between fork and exec

 private:
  sigset_t old_;
  bool held_ = true;
};

/// Enters `pid`, a child started by other means (the ranks of rank_launcher.h), in the table
/// signal_children() reaches, until forget_child(pid).
void remember_child(pid_t pid) noexcept;
void forget_child(pid_t pid) noexcept;

}  // namespace gem::support
