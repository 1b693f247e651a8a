// The tests' tiny training runs: their options (8x8 images from data_files.h and a small CNN, or
// a one-block transformer on a few documents), one thread, a few hundred milliseconds per run; and
// one call that trains in-process and returns the summary.
#pragma once

#include <filesystem>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "src/train/trainer/fields.h"
#include "src/train/trainer/run_training.h"
#include "src/train/trainer/train_options.h"

namespace gem::train::testing {

/// The tiny image run, written as a recipe is (the keys of gem-train's recipes).
inline TrainOptions tiny_options(const std::filesystem::path& data) {
  return apply_fields(TrainOptions(),
                      {{"dataset", "mnist"},
                       {"data_dir", data.string()},
                       {"model", "cnn"},
                       {"width", 4},
                       {"hidden", nlohmann::json::array({16})},
                       {"activation", "egem:N=1,eps=1e-2"},
                       {"epochs", 3},
                       {"batch_size", 16},
                       {"eval_batch_size", 16},
                       {"lr", 0.05},
                       {"warmup_epochs", 0.5},
                       {"schedule", "cosine"},
                       {"augment_pad", 1} /* exercises the augmentation stream too */,
                       {"augment_flip", true},
                       {"threads", 1},
                       {"log_every", 0}},
                      "tiny_options");
}

/// The tiny language run of `arch` (gpt or bert) on the text of `text_dir`, its tokenizer and
/// tokens cached in `cache`.
inline TrainOptions tiny_language_options(const std::string& arch, const std::filesystem::path& text_dir,
                                          const std::filesystem::path& cache) {
  return apply_fields(TrainOptions(),
                      {{"dataset", "text"},
                       {"data_dir", text_dir.string()},
                       {"val_fraction", 0.1},
                       {"vocab_size", 512} /* 259 fixed pieces (bytes, <unk>, <mask>, newline) + the rest */,
                       {"cache_dir", cache.string()},
                       {"model", arch},
                       {"activation", "egem:N=2,eps=10"},
                       {"context", 32},
                       {"layers", 1},
                       {"heads", 2},
                       {"embed_dim", 32},
                       {"batch_size", 16},
                       {"eval_batch_size", 64},
                       {"val_tokens", 4096},
                       {"steps_per_epoch", 40},
                       {"epochs", 3},
                       {"optimizer", "adamw"},
                       {"lr", 5e-3},
                       {"weight_decay", 0.01},
                       {"warmup_epochs", 0.2},
                       {"grad_clip", 1.0},
                       {"threads", 1},
                       {"log_every", 0}},
                      "tiny_language_options");
}

/// Trains o into `out` in this process (resumed, stopped after stop_after epochs, or restarted as
/// asked), the log discarded; the summary, or null where the session stopped early.
inline nlohmann::json train(const TrainOptions& o, const std::filesystem::path& out, bool resume = false,
                            int64_t stop_after = 0, bool restart = false) {
  DataCache cache;
  std::ostringstream log;
  RunRequest request{is_language_task(o) ? "tiny-lm" : "tiny", o, out, resume, stop_after};
  request.restart = restart;
  return run_training(request, log, cache);
}

}  // namespace gem::train::testing
