// A whole training run (gem-train; gem-sweep calls it once per activation and seed).
//
// Files in the run folder (`out`), each written atomically and durably:
//   .lock            held while the run writes (one writer per folder; support/folder_lock.h)
//   options.json     the resolved options, recipe name, device, threads and versions
//   metrics.jsonl    one line per finished epoch (metrics.h)
//   checkpoint.pt    after every epoch, checksummed (checkpoint.h); --resume continues from it
//   summary.json     at the end (metrics.h: make_summary), or when training diverged
// The folder is bound to the run's options (run_folder.h): it is resumed or returned only for
// the same options, and --restart discards what it holds.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>

#include "src/train/data/batches.h"
#include "src/train/distributed/communicator.h"
#include "src/train/text/prepared_text.h"
#include "src/train/trainer/train_options.h"

namespace gem::train {

struct RunRequest {
  std::string recipe;  // recorded in the outputs
  TrainOptions options;
  std::filesystem::path out;
  bool resume = false;  // continue from out/checkpoint.pt if there is one (else start)
  int64_t stop_after_epochs = 0;  // > 0: end this session after that many epochs (checkpoint
                                  // kept, no summary); a later resume goes on
  bool restart = false;           // discard the run the folder holds (whatever its options), start afresh
  /// The data-parallel job this process is a rank of (distributed/communicator.h); null: one
  /// process. Rank 0 alone writes the run folder; every rank returns the same summary.
  std::shared_ptr<Communicator> comm;
};

/// A loaded, normalised dataset.
struct PreparedData {
  TensorSet train, test;
  int64_t channels = 0, height = 0, width = 0, classes = 0;
  std::string train_source, test_source;
};

/// Datasets by their options, loaded once per process (a sweep reuses them across runs).
class DataCache {
 public:
  const PreparedData& get(const DataOptions& options);
  /// Corpus, tokenizer and token ids (prepare_text); progress to `log` when first loaded.
  const PreparedText& text(const TextDataOptions& options, std::ostream& log);

 private:
  std::map<std::string, std::unique_ptr<PreparedData>> loaded_;
  std::map<std::string, std::unique_ptr<PreparedText>> texts_;
};

/// The training loss or the held-out loss became NaN or infinite: the run stopped, its summary
/// says "diverged": true, the checkpoint of the last finite epoch is kept.
class TrainingDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Runs (or resumes, or, when out/summary.json exists and resume is set, just returns) the run
/// and returns its summary (null when stop_after_epochs ended the session first). Progress goes
/// to `log`. Throws std::invalid_argument for bad options or a run folder that holds another
/// run (naming the options that differ), support::FolderBusy when another process writes the
/// folder, TrainingDiverged, std::runtime_error for data or file errors.
nlohmann::json run_training(const RunRequest& request, std::ostream& log, DataCache& cache);

}  // namespace gem::train
