// The image classifiers as a TrainingTask (training_task.h): cross-entropy over shuffled,
// augmented batches of a dataset (data/dataset.h), test accuracy and dead units.
#pragma once

#include <memory>
#include <ostream>

#include "src/train/data/batches.h"
#include "src/train/models/classifier.h"
#include "src/train/trainer/training_task.h"

namespace gem::train {

/// A classifier's forward and backward pass on one batch: the gradient of the mean cross-entropy
/// times `share` accumulated (share = this batch's part of the step's whole batch, 1 for one
/// process, so that the ranks' gradients sum to the whole batch's), its sums left on the device
/// (an optimizer step's ForwardBackward, train_loop.h).
DeviceTotals classifier_forward_backward(ClassifierImpl& model, const Batch& batch, const torch::Device& device,
                                         double share = 1.0);

std::unique_ptr<TrainingTask> make_image_task(const TrainOptions& options, const torch::Device& device,
                                              DataCache& cache, std::ostream& log, Communicator& comm);

}  // namespace gem::train
