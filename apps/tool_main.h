// The frame every tool's main shares: parse the command line, run the command, turn what it
// throws into a message and an exit status, and fail the command when its output could not be
// written. The exit statuses of gem, gem-train and gem-sweep are written here once.
#pragma once

#include <CLI/CLI.hpp>

#include <exception>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>

#include "src/support/checked_output.h"

namespace gem::apps {

constexpr int kExitFailure = 1;  // the command failed (bad input, data, files, a run)
constexpr int kExitUsage = 2;    // bad flags or options

/// How a tool names itself in its messages and describes a failure.
struct ToolFrame {
  std::string tool;               // "gem", "gem-sweep", "gem-train"
  bool names_subcommand = false;  // messages say "gem-sweep run: ..."
  std::function<std::string(const std::exception&)> describe = [](const std::exception& e) {
    return std::string(e.what());
  };
};

/// Parses argv into app (--help and bad flags end here, with 0 or kExitUsage), then returns
/// body()'s status. A std::invalid_argument from body is a usage error (kExitUsage), any other
/// exception a failure (kExitFailure); each is printed as "<tool> [<subcommand>]: <message>" on
/// standard error. Output that could not be written (a full disk, /dev/full) fails the command
/// too, never a silent exit 0.
template <class Body>
int run_tool(CLI::App& app, int argc, char** argv, const ToolFrame& frame, const Body& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return support::finish_standard_output(frame.tool, app.exit(e) == 0 ? 0 : kExitUsage);  // --help too
  }
  const auto subcommands = app.get_subcommands();
  const std::string who =
      frame.names_subcommand && !subcommands.empty() ? frame.tool + " " + subcommands.front()->get_name() : frame.tool;
  return support::finish_standard_output(who, [&] {
    try {
      return body();
    } catch (const std::invalid_argument& e) {
      std::cerr << who << ": " << e.what() << "\n";
      return kExitUsage;
    } catch (const std::exception& e) {
      std::cerr << who << ": " << frame.describe(e) << "\n";
      return kExitFailure;
    }
  }());
}

}  // namespace gem::apps
