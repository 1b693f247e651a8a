#include "src/train/trainer/training_task.h"

#include "src/train/trainer/image_task.h"
#include "src/train/trainer/language_task.h"

namespace gem::train {

std::unique_ptr<TrainingTask> make_task(const TrainOptions& options, const torch::Device& device, DataCache& cache,
                                        std::ostream& log) {
  if (is_language_task(options)) return make_language_task(options, device, cache, log);
  return make_image_task(options, device, cache, log);
}

}  // namespace gem::train
