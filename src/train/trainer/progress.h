// Human-readable progress: durations and the line printed every few steps.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace gem::train {

/// Seconds since `start` on the steady clock (the timings of epochs and evaluations).
double seconds_since(std::chrono::steady_clock::time_point start);

/// 42s, 3m07s, 1h02m03s (rounded to whole seconds; negative or NaN prints "?").
std::string format_duration(double seconds);

/// Seconds left of a run: the remaining training steps at the measured seconds per step, plus
/// the remaining evaluations at the measured seconds per evaluation.
double eta_seconds(int64_t steps_left, double seconds_per_step, int64_t evals_left, double seconds_per_eval);

}  // namespace gem::train
