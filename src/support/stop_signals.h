// SIGINT and SIGTERM for a program that runs child processes (gem-sweep run --jobs N): instead
// of dying and leaving its children running, it forwards SIGTERM to them (signal_children),
// stops starting new ones and lets its caller end cleanly.
#pragma once

namespace gem::support {

class StopOnSignals {
 public:
  /// Installs the handlers (one object at a time); the destructor restores the previous ones.
  StopOnSignals();
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

  /// The signal that asked to stop (SIGINT or SIGTERM), or 0 while none has.
  static int received();
};

}  // namespace gem::support
