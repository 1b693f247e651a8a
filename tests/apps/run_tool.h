// Runs the built `gem` binary (GEM_BINARY_DIR/bin/gem) with arguments and stdin text, and
// captures its exit status, stdout and stderr (through files: no pipe can fill up and block).
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "src/support/temp_file.h"

extern char** environ;

namespace gem::testing {

struct ToolRun {
  int status = -1;  // exit status; 128 + signal if killed
  std::string out, err;
};

inline std::string gem_binary() { return std::string(GEM_BINARY_DIR) + "/bin/gem"; }

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline ToolRun run_gem(const std::vector<std::string>& args, const std::string& input = "") {
  const auto tmp = std::filesystem::temp_directory_path();
  support::TempFile in(tmp, "gem-test-in", ".txt"), out(tmp, "gem-test-out", ".txt"), err(tmp, "gem-test-err", ".txt");
  std::ofstream(in.path(), std::ios::binary) << input;

  std::vector<std::string> argv{gem_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargs;
  for (auto& a : argv) cargs.push_back(a.data());
  cargs.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, in.path().c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.path().c_str(), O_WRONLY | O_TRUNC, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.path().c_str(), O_WRONLY | O_TRUNC, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, cargs[0], &actions, nullptr, cargs.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ToolRun run;
  if (rc != 0) {
    run.err = "cannot start " + argv[0];
    return run;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = read_file(out.path());
  run.err = read_file(err.path());
  return run;
}

inline std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, sep)) parts.push_back(part);
  return parts;
}

}  // namespace gem::testing
