// The language models as a TrainingTask (training_task.h). gpt: next-token prediction on
// random windows of context + 1 tokens; bert: masked-token prediction (token_windows.h) on
// random windows of context tokens. One epoch is steps_per_epoch optimizer steps, each over
// grad_accumulation batches; evaluation covers the validation tokens in non-overlapping windows
// (bert's masks there are fixed by subset_seed, the same for every run). The loss is the mean
// cross-entropy per predicted token (nats); perplexity is its exponential.
#pragma once

#include <memory>
#include <ostream>

#include "src/train/text/prepared_text.h"
#include "src/train/trainer/training_task.h"

namespace gem::train {

std::unique_ptr<TrainingTask> make_language_task(const TrainOptions& options, const torch::Device& device,
                                                 DataCache& cache, std::ostream& log, Communicator& comm);

/// The text dataset of the options (corpus, split, tokenizer settings).
TextDataOptions text_data_options(const TrainOptions& options);

}  // namespace gem::train
