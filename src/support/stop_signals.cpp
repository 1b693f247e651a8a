#include "src/support/stop_signals.h"

#include <signal.h>

#include <atomic>
#include <stdexcept>

#include "src/support/process.h"

namespace gem::support {
namespace {

std::atomic<int> g_received{0};
std::atomic<bool> g_installed{false};
struct sigaction g_old_int, g_old_term;

void on_signal(int signal) {
  int none = 0;
  g_received.compare_exchange_strong(none, signal);
  signal_children(SIGTERM);  // every signal, so a second Ctrl-C reaches children started since
}

}  // namespace

StopOnSignals::StopOnSignals() {
  if (g_installed.exchange(true)) throw std::logic_error("StopOnSignals: only one at a time");
  g_received = 0;
  struct sigaction action = {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &g_old_int);
  sigaction(SIGTERM, &action, &g_old_term);
}

StopOnSignals::~StopOnSignals() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  g_installed = false;
}

int StopOnSignals::received() { return g_received.load(); }

}  // namespace gem::support
