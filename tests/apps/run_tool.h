// Runs the built `gem` binary (GEM_BINARY_DIR/bin/gem) with arguments and stdin text, and
// captures its exit status, stdout and stderr (common/run_program.h).
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "common/run_program.h"

namespace gem::testing {

using ToolRun = ProgramRun;

inline std::string gem_binary() { return std::string(GEM_BINARY_DIR) + "/bin/gem"; }

inline ToolRun run_gem(const std::vector<std::string>& args, const std::string& input = "",
                       ProgramOptions options = {}) {
  std::vector<std::string> argv{gem_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  options.input = input;
  return run_program(argv, options);
}

inline std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, sep)) parts.push_back(part);
  return parts;
}

}  // namespace gem::testing
