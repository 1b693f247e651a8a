#include "src/support/rank_launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "src/support/process.h"
#include "src/support/temp_file.h"

extern char** environ;

namespace gem::support {
namespace {

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
    const char* name = ::sigabbrev_np(s);
    return "was killed by signal " + std::to_string(s) + (name ? std::string(" (SIG") + name + ")" : std::string());
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
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the launcher gone: no rank is left behind
    if (::getppid() != parent) ::_exit(128 + SIGKILL);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  if (pid < 0) throw std::runtime_error("cannot start " + argv[0] + ": " + error_text(errno));
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
  if (l.ranks < 1 || l.ranks > 1024)
    throw std::invalid_argument("--nproc-per-node must be in [1, 1024], got " + std::to_string(l.ranks));
  const int port = l.master_port > 0 ? l.master_port : free_tcp_port(l.master_addr);
  const ForwardSignals forwarding;
  std::vector<pid_t> pids;
  int running = 0, first_failure = 0;
  const auto stop_all = [](int signal) {
    signal_children(signal);
    signal_children(SIGCONT);  // a stopped rank acts on the signal too
  };
  for (int rank = 0; rank < l.ranks; ++rank) {
    try {
      const pid_t pid = start_rank(l.argv, rank_environment(l, rank, port));
      remember_child(pid);
      pids.push_back(pid);
      ++running;
    } catch (...) {
      stop_all(SIGKILL);
      throw;
    }
  }
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (running > 0) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, first_failure != 0 ? WNOHANG : 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) break;
      throw std::runtime_error("waiting for the ranks failed: " + error_text(errno));
    }
    if (pid == 0) {  // after a failure: the others get `grace` to end, then SIGKILL
      if (std::chrono::steady_clock::now() > deadline) {
        stop_all(SIGKILL);
        deadline = std::chrono::steady_clock::time_point::max();
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
    if (failed && first_failure == 0) {
      first_failure = exit_code(status);
      if (first_failure == 0) first_failure = 1;
      err << "gem-train: rank " << rank << " of " << l.ranks << " (pid " << pid << ") " << how_it_ended(status)
          << (running > 0 ? "; stopping the other ranks" : "") << "\n";
      stop_all(SIGTERM);
      deadline = std::chrono::steady_clock::now() + l.grace;
    }
  }
  return first_failure;
}

}  // namespace gem::support
