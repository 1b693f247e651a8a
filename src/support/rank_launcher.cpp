#include "src/support/rank_launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "src/support/process.h"
#include "src/support/temp_file.h"

extern char** environ;

namespace gem::support {
namespace {

constexpr int kMaxRanks = 256;  // the children signal_children reaches (process.cpp)

// The handlers for the launch, restored afterwards.
struct ForwardSignals {
  struct sigaction old_int {
  }, old_term{};
  ForwardSignals() {
    struct sigaction sa {};
    sa.sa_handler = signal_children;  // the ranks are remembered children (process.h)
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int);
    ::sigaction(SIGTERM, &sa, &old_term);
  }
  ~ForwardSignals() {
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
  }
};

std::string how_it_ended(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int s = WTERMSIG(status);
    const char* name = ::strsignal(s);
    return "was killed by signal " + std::to_string(s) + (name ? std::string(" (") + name + ")" : std::string());
  }
  return "ended";
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// The environment of rank `rank`: this process's, with torchrun's variables set.
std::vector<std::string> rank_environment(const RankLaunch& l, int rank, int port) {
  const std::vector<std::pair<std::string, std::string>> set{{"RANK", std::to_string(rank)},
                                                             {"LOCAL_RANK", std::to_string(rank)},
                                                             {"WORLD_SIZE", std::to_string(l.ranks)},
                                                             {"LOCAL_WORLD_SIZE", std::to_string(l.ranks)},
                                                             {"GROUP_RANK", "0"},
                                                             {"MASTER_ADDR", l.master_addr},
                                                             {"MASTER_PORT", std::to_string(port)}};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    bool replaced = false;
    for (const auto& [key, value] : set) replaced = replaced || entry.rfind(key + "=", 0) == 0;
    if (!replaced) env.push_back(entry);
  }
  for (const auto& [key, value] : set) env.push_back(key + "=" + value);
  return env;
}

pid_t start_rank(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  // A forwarded SIGTERM cannot miss the rank, and the child runs none of the launcher's handlers.
  StopSignalsHeld held;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    held.child_side();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the launcher gone: no rank is left behind
    if (::getppid() != parent) ::_exit(128 + SIGKILL);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  const int fork_error = errno;
  if (pid > 0) remember_child(pid);
  held.release();
  if (pid < 0) throw std::runtime_error("cannot start " + argv[0] + ": " + error_text(fork_error));
  return pid;
}

}  // namespace

int free_tcp_port(const std::string& addr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("cannot create a socket: " + error_text(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  if (::inet_pton(AF_INET, addr.c_str(), &a.sin_addr) != 1) {
    ::close(fd);
    throw std::invalid_argument("not an IPv4 address: " + addr);
  }
  socklen_t len = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  const int error = errno;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot find a free port on " + addr + ": " + error_text(error));
  return ntohs(a.sin_port);
}

int launch_ranks(const RankLaunch& l, std::ostream& err) {
  if (l.ranks < 1 || l.ranks > kMaxRanks)
    throw std::invalid_argument("--nproc-per-node must be in [1, " + std::to_string(kMaxRanks) + "], got " +
                                std::to_string(l.ranks));
  const int port = l.master_port > 0 ? l.master_port : free_tcp_port(l.master_addr);
  const ForwardSignals forwarding;
  std::vector<pid_t> pids;
  int running = 0;
  const auto stop_all = [](int signal) {
    signal_children(signal);
    signal_children(SIGCONT);  // a stopped rank acts on the signal too
  };
  for (int rank = 0; rank < l.ranks; ++rank) {
    try {
      pids.push_back(start_rank(l.argv, rank_environment(l, rank, port)));
      ++running;
    } catch (...) {
      stop_all(SIGKILL);
      throw;
    }
  }
  // After a failure: SIGTERM to the others at term_at, SIGKILL `grace` later. When another rank
  // fails first, rank 0 gets `rank0_window` to end by itself: its message usually says why, and
  // it may be writing the run's summary (a diverged run's).
  using Clock = std::chrono::steady_clock;
  const auto never = Clock::time_point::max();
  auto term_at = never, kill_at = never;
  bool rank0_ended = false;
  int rank0_status = 0, first_failure = 0;
  while (running > 0) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, term_at != never || kill_at != never ? WNOHANG : 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) break;
      throw std::runtime_error("waiting for the ranks failed: " + error_text(errno));
    }
    const auto now = Clock::now();
    if (pid == 0) {
      if (now >= term_at) {
        stop_all(SIGTERM);
        term_at = never;
        kill_at = now + l.grace;
      }
      if (now >= kill_at) {
        stop_all(SIGKILL);
        kill_at = never;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    int rank = -1;
    for (int r = 0; r < l.ranks; ++r)
      if (pids[static_cast<size_t>(r)] == pid) rank = r;
    if (rank < 0) continue;  // not one of ours
    forget_child(pid);
    --running;
    const bool failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const int code = failed ? std::max(1, exit_code(status)) : 0;
    if (rank == 0) {
      rank0_ended = true;
      rank0_status = code;
      if (term_at != never) term_at = now;  // it has ended: stop the rest now
    }
    if (failed && first_failure == 0) {
      first_failure = code;
      err << "gem-train: rank " << rank << " of " << l.ranks << " (pid " << pid << ") " << how_it_ended(status)
          << (running > 0 ? "; stopping the other ranks" : "") << "\n";
      term_at = rank0_ended ? now : now + l.rank0_window;
    }
  }
  return rank0_status != 0 ? rank0_status : first_failure;
}

}  // namespace gem::support
