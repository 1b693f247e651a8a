// Runs a program as a child process and captures its exit status, stdout and stderr (through
// files: no pipe can fill up and block), optionally under the conditions the hardening tests
// need: stdout to a given file (/dev/full), a limit on the size of the files it writes (a full
// disk, as RLIMIT_FSIZE makes writes fail with EFBIG), extra environment variables.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "src/support/temp_file.h"

extern char** environ;

namespace gem::testing {

struct ProgramRun {
  int status = -1;  // exit status; 128 + signal if killed
  std::string out, err;
};

struct ProgramOptions {
  std::string input;                     // stdin
  std::string stdout_path;               // empty: captured into ProgramRun::out
  long long file_size_limit = -1;        // >= 0: RLIMIT_FSIZE in bytes (SIGXFSZ ignored)
  std::vector<std::string> environment;  // "NAME=value" added to this process's environment
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// Starts argv (argv[0] a path), waits for it and returns what it did.
inline ProgramRun run_program(const std::vector<std::string>& argv, const ProgramOptions& options = {}) {
  const auto tmp = std::filesystem::temp_directory_path();
  support::TempFile in(tmp, "gem-test-in", ".txt"), out(tmp, "gem-test-out", ".txt"), err(tmp, "gem-test-err", ".txt");
  std::ofstream(in.path(), std::ios::binary) << options.input;
  const std::string out_path = options.stdout_path.empty() ? out.path().string() : options.stdout_path;

  std::vector<std::string> args = argv;
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  std::vector<std::string> env_strings = options.environment;
  for (char** e = environ; *e; ++e) env_strings.push_back(*e);  // added ones first: they win
  std::vector<char*> env;
  for (auto& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);

  const int fd_in = ::open(in.path().c_str(), O_RDONLY | O_CLOEXEC);
  const int fd_out = ::open(out_path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  const int fd_err = ::open(err.path().c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  ProgramRun run;
  if (fd_in < 0 || fd_out < 0 || fd_err < 0) {
    run.err = "cannot open the test's stdin/stdout/stderr files";
    return run;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fd_in, STDIN_FILENO);
    ::dup2(fd_out, STDOUT_FILENO);
    ::dup2(fd_err, STDERR_FILENO);
    if (options.file_size_limit >= 0) {
      ::signal(SIGXFSZ, SIG_IGN);  // an ignored signal stays ignored across exec: writes fail with EFBIG
      const rlimit limit{static_cast<rlim_t>(options.file_size_limit), static_cast<rlim_t>(options.file_size_limit)};
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    ::execve(cargs[0], cargs.data(), env.data());
    ::_exit(127);
  }
  ::close(fd_in);
  ::close(fd_out);
  ::close(fd_err);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (options.stdout_path.empty()) run.out = read_file(out.path());
  run.err = read_file(err.path());
  return run;
}

/// Starts argv in the background with stdin from /dev/null and stdout and stderr to `log`;
/// returns its PID (the caller waits for it).
inline pid_t spawn_program(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  std::vector<std::string> args = argv;
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  const int fd_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int fd_out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fd_in, STDIN_FILENO);
    ::dup2(fd_out, STDOUT_FILENO);
    ::dup2(fd_out, STDERR_FILENO);
    ::execv(cargs[0], cargs.data());
    ::_exit(127);
  }
  ::close(fd_in);
  ::close(fd_out);
  return pid;
}

/// The exit status of `pid` once it ends (128 + signal if killed).
inline int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// True once `pid` has ended: gone, or a zombie nobody has reaped yet.
inline bool has_ended(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  const std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z';
}

/// Polls `done` every 20 ms for up to `seconds`; returns its last value.
template <class Done>
bool eventually(Done done, double seconds = 10) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

}  // namespace gem::testing
