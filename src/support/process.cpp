#include "src/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "src/support/temp_file.h"

extern char** environ;

namespace gem::support {
namespace {

// The running children, for signal_children. A fixed table of atomics, because a signal handler
// may read it at any moment (no lock, no allocation); 0 marks a free slot.
constexpr int kMaxChildren = 256;
std::atomic<pid_t> g_children[kMaxChildren] = {};

int register_child(pid_t pid) {
  for (int i = 0; i < kMaxChildren; ++i) {
    pid_t expected = 0;
    if (g_children[i].compare_exchange_strong(expected, pid)) return i;
  }
  return -1;  // more children than slots: they still run, only signal_children misses them
}

// Closes a descriptor when the scope ends.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string find_executable(const std::string& program) {
  if (program.empty()) return "";
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0 ? program : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

int run_process(const std::vector<std::string>& argv, const std::filesystem::path& log, const ProcessOptions& options) {
  if (argv.empty()) throw std::invalid_argument("run_process: no program given");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  // Everything the child needs is prepared here: between fork and exec only async-signal-safe
  // calls are allowed.
  Fd in{::open("/dev/null", O_RDONLY | O_CLOEXEC)},
      out{::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644)};
  if (in.fd < 0) throw std::runtime_error("cannot open /dev/null: " + error_text(errno));
  if (out.fd < 0)
    throw std::runtime_error("cannot open " + log.string() + ": " + error_text(errno) +
                             (errno == ELOOP ? " (it is a symbolic link: remove it)" : ""));
  int report[2];  // the child writes errno here if exec fails; close-on-exec closes it otherwise
  if (::pipe2(report, O_CLOEXEC) != 0) throw std::runtime_error("cannot create a pipe: " + error_text(errno));
  Fd report_read{report[0]}, report_write{report[1]};

  StopSignalsHeld held;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    held.child_side();
    if (options.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(128 + SIGTERM);  // the parent died before prctl
    }
    if (::dup2(in.fd, STDIN_FILENO) < 0 || ::dup2(out.fd, STDOUT_FILENO) < 0 || ::dup2(out.fd, STDERR_FILENO) < 0) {
      const int e = errno;
      (void)!::write(report[1], &e, sizeof e);
      ::_exit(127);
    }
    ::execve(args[0], args.data(), environ);
    const int e = errno;
    (void)!::write(report[1], &e, sizeof e);
    ::_exit(127);
  }
  const int fork_error = errno;
  const int slot = pid > 0 ? register_child(pid) : -1;
  held.release();
  if (pid < 0) throw std::runtime_error("cannot start " + argv[0] + ": " + error_text(fork_error));

  ::close(std::exchange(report_write.fd, -1));
  int exec_error = 0;
  ssize_t got;
  while ((got = ::read(report_read.fd, &exec_error, sizeof exec_error)) < 0 && errno == EINTR) {
  }
  // Wait for the end without reaping, leave the table, then reap: a handler never signals a
  // PID that could already belong to another process.
  siginfo_t info;
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
  }
  if (slot >= 0) g_children[slot].store(0);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error("waiting for " + argv[0] + " failed: " + error_text(errno));
  if (got == static_cast<ssize_t>(sizeof exec_error))
    throw std::runtime_error("cannot start " + argv[0] + ": " + error_text(exec_error));
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

StopSignalsHeld::StopSignalsHeld() {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old_);
}

void StopSignalsHeld::release() noexcept {
  if (held_) pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  held_ = false;
}

void StopSignalsHeld::child_side() const noexcept {
  ::signal(SIGINT, SIG_DFL);  // before releasing them: a forwarded SIGTERM must end the child
  ::signal(SIGTERM, SIG_DFL);
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

void remember_child(pid_t pid) noexcept { register_child(pid); }

void forget_child(pid_t pid) noexcept {
  for (auto& child : g_children) {
    pid_t expected = pid;
    if (child.compare_exchange_strong(expected, 0)) return;
  }
}

void signal_children(int signal) noexcept {
  for (auto& child : g_children) {
    const pid_t pid = child.load();
    if (pid > 0) ::kill(pid, signal);
  }
}

}  // namespace gem::support
