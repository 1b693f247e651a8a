#include "src/train/trainer/progress.h"

#include <cmath>
#include <cstdio>

namespace gem::train {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0)) return "?";
  const auto total = static_cast<long long>(std::llround(seconds));
  const long long h = total / 3600, m = total / 60 % 60, s = total % 60;
  char buf[48];
  if (h > 0)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", h, m, s);
  else if (m > 0)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", m, s);
  else
    std::snprintf(buf, sizeof buf, "%llds", s);
  return buf;
}

double eta_seconds(int64_t steps_left, double seconds_per_step, int64_t evals_left, double seconds_per_eval) {
  return static_cast<double>(steps_left) * seconds_per_step + static_cast<double>(evals_left) * seconds_per_eval;
}

}  // namespace gem::train
