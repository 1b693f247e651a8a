// The image classifiers as a TrainingTask (training_task.h): cross-entropy over shuffled,
// augmented batches of a dataset (data/dataset.h), test accuracy and dead units.
#pragma once

#include <memory>
#include <ostream>

#include "src/train/trainer/training_task.h"

namespace gem::train {

std::unique_ptr<TrainingTask> make_image_task(const TrainOptions& options, const torch::Device& device,
                                              DataCache& cache, std::ostream& log);

}  // namespace gem::train
