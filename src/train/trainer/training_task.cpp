#include "src/train/trainer/training_task.h"

#include "src/train/trainer/image_task.h"
#include "src/train/trainer/language_task.h"

#include <stdexcept>
#include <string>

namespace gem::train {

std::unique_ptr<TrainingTask> make_task(const TrainOptions& options, const torch::Device& device, DataCache& cache,
                                        std::ostream& log, Communicator& comm) {
  if (is_language_task(options)) return make_language_task(options, device, cache, log, comm);
  return make_image_task(options, device, cache, log, comm);
}

Shard evaluation_share(int64_t batches, const Communicator& comm, int64_t eval_batch_size) {
  if (batches < comm.size())
    throw std::invalid_argument("the held-out set makes " + std::to_string(batches) + " batches of " +
                                std::to_string(eval_batch_size) + ", fewer than the " + std::to_string(comm.size()) +
                                " ranks: use a smaller --eval-batch-size");
  return shard_of(batches, comm.rank(), comm.size());
}

}  // namespace gem::train
