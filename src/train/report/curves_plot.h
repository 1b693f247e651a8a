// PNG of the mean test accuracy and test loss per epoch, one line per activation, drawn by
// gnuplot (two panels side by side).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "src/support/atomic_file.h"
#include "src/train/report/aggregate.h"

namespace gem::train {

/// The gnuplot script that draws `curves` from `data` (written by write_curves_data) into `png`.
/// held_out names the evaluated set in the panel titles ("test", or "val" for language models,
/// whose accuracy is per predicted token).
std::string curves_script(const std::vector<Curve>& curves, const std::string& title,
                          const std::filesystem::path& data, const std::filesystem::path& png,
                          const std::string& held_out = "test");

/// One gnuplot data block per curve: "epoch accuracy_percent loss" lines, blocks apart by two
/// blank lines.
std::string curves_data(const std::vector<Curve>& curves);

/// Draws into `png`'s temporary file (the caller commits it). Throws std::runtime_error when
/// gnuplot is missing or fails, or the disk is full.
void plot_curves(const std::vector<Curve>& curves, const std::string& title, support::AtomicFile& png,
                 const std::string& gnuplot, const std::string& held_out = "test");

}  // namespace gem::train
