// A run folder and the run it belongs to. A folder holds one run: the options it was made with
// are recorded in its files (options.json, summary.json, checkpoint.pt), and a later session or a
// sweep may continue it or skip it only with the same options, so results of different runs
// are never mixed or passed off as each other. Its files are read as untrusted data.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace gem::train {

/// The files a run writes in its folder (run_training.h); clear_run_folder removes these.
inline constexpr const char* kRunFiles[] = {"options.json", "metrics.jsonl", "checkpoint.pt", "summary.json"};

struct RunFolder {
  bool has_run = false;    // any of kRunFiles exists
  bool finished = false;   // summary.json exists
  bool diverged = false;   // ... and says the run diverged
  std::string recipe;      // as recorded ("" when no file records it)
  nlohmann::json options;  // the resolved options as recorded (null when no file records them)
  nlohmann::json summary;  // summary.json (null when unfinished)
};

/// Why a diverged run stopped, as its summary says ("the training loss is nan at epoch 3,
/// step 7"), or "diverged" when the summary does not say.
std::string diverged_reason(const RunFolder& folder);

/// What `dir` holds. Throws std::runtime_error naming the file when one is unreadable, or when
/// options.json and summary.json record different runs (two writers mixed the folder).
RunFolder inspect_run_folder(const std::filesystem::path& dir);

/// Options that may change between the sessions of one run because they do not change what
/// is computed: threads (only the last bits of float sums), device, log_every.
bool may_change_between_sessions(const std::string& key);

/// One line per field in which the recorded run differs from (recipe, options), as
/// "lr: recorded 0.05, now 0.2"; empty when they are the same run (or nothing is recorded).
std::vector<std::string> run_differences(const RunFolder& recorded, const std::string& recipe,
                                         const nlohmann::json& options);

/// The lines of run_differences joined into a message: "<dir> holds a run made with other
/// options:\n  lr: ...\n  to fix: ..." naming `restart_flag` as the way to start afresh.
std::string differences_message(const std::filesystem::path& dir, const std::vector<std::string>& differences,
                                const std::string& restart_flag);

/// Removes the run's files (kRunFiles and their temporary files); train.log and other files
/// stay.
void clear_run_folder(const std::filesystem::path& dir);

/// Removes the temporary files of kRunFiles that a killed process left behind (a checkpoint's
/// can be as large as the checkpoint). Only the holder of the folder's lock may call it.
void remove_stale_temporaries(const std::filesystem::path& dir);

}  // namespace gem::train
