#include "src/train/trainer/image_task.h"

#include <torch/torch.h>

#include <algorithm>

#include "src/train/models/classifier.h"
#include "src/train/trainer/optimizer.h"
#include "src/train/trainer/run_training.h"

namespace gem::train {
namespace {

class ImageTask : public TrainingTask {
 public:
  ImageTask(const TrainOptions& o, const torch::Device& device, DataCache& cache, Communicator& comm)
      : o_(o), device_(device), data_(cache.get(data_options(o))), comm_(comm) {
    model_ = make_model(model_options(o, data_.channels, data_.height, data_.width, data_.classes));
    model_->to(device);
    optimizer_ = make_optimizer(o, *model_);
    eval_share();  // refused now, not after an epoch of training
  }

  torch::nn::Module& model() override { return *model_; }
  torch::optim::Optimizer& optimizer() override { return *optimizer_; }
  int64_t steps_per_epoch() const override {
    return data_.train.size() / o_.batch_size + (data_.train.size() % o_.batch_size != 0);
  }

  TrainStats train_epoch(int64_t epoch, const std::function<double(int64_t)>& lr_at,
                         const std::function<void(const StepProgress&)>& on_step) override {
    const EpochBatches batches(data_.train, o_.batch_size, /*shuffle=*/true, augmentation(o_),
                               static_cast<uint64_t>(o_.seed), epoch);
    return run_train_epoch(
        *model_, *optimizer_, batches.size(), o_.log_every, lr_at,
        [&](int64_t s) {
          // Every rank draws the same global batch and trains on its rows of it.
          const Batch whole = batches.batch(s);
          const int64_t n = whole.labels.size(0);
          const Shard mine = shard_of(n, comm_.rank(), comm_.size());
          if (mine.count == 0) {  // a short last batch with nothing for this rank: zero sums
            DeviceTotals none;
            const torch::Tensor zero = torch::zeros({}, torch::TensorOptions(torch::kDouble).device(device_));
            none.add(zero, zero, 0, 0);
            return none;
          }
          if (mine.count == n) return classifier_forward_backward(*model_, whole, device_);
          const Batch part{whole.images.narrow(0, mine.begin, mine.count),
                           whole.labels.narrow(0, mine.begin, mine.count)};
          return classifier_forward_backward(*model_, part, device_,
                                             static_cast<double>(mine.count) / static_cast<double>(n));
        },
        on_step, o_.grad_clip, comm_);
  }

  EvalStats evaluate() override {
    const TensorSet& set = data_.test;
    const int64_t size = o_.eval_batch_size;
    const Shard mine = eval_share();
    return run_evaluation(
        *model_, mine.count,
        [&](int64_t b) {
          const int64_t first = (mine.begin + b) * size, n = std::min(size, set.size() - first);
          const torch::Tensor x = set.images.narrow(0, first, n).to(device_),
                              y = set.labels.narrow(0, first, n).to(device_);
          const torch::Tensor logits = model_->forward(x);
          DeviceTotals t;
          t.add(torch::nn::functional::cross_entropy(
                    logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)),
                logits.argmax(1).eq(y).sum(), n, n);
          return t;
        },
        o_.dead_units, comm_);
  }

  nlohmann::json description() const override {
    return {{"parameters", parameter_count(*model_)},
            {"train_size", data_.train.size()},
            {"test_size", data_.test.size()},
            {"train_source", data_.train_source},
            {"test_source", data_.test_source}};
  }

  std::string banner() const override {
    return o_.model + (o_.model == "resnet" ? "-" + std::to_string(o_.image_model.depth) : "") + ", " +
           std::to_string(parameter_count(*model_)) + " parameters, " + std::to_string(data_.train.size()) +
           " training / " + std::to_string(data_.test.size()) + " test images";
  }

  const char* unit() const override { return "samples"; }

  /// The batches of the test set that are this rank's.
  Shard eval_share() const {
    return evaluation_share((data_.test.size() + o_.eval_batch_size - 1) / o_.eval_batch_size, comm_,
                            o_.eval_batch_size);
  }
  const char* held_out_name() const override { return "test"; }

 private:
  TrainOptions o_;
  torch::Device device_;
  const PreparedData& data_;
  Communicator& comm_;
  Classifier model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

}  // namespace

DeviceTotals classifier_forward_backward(ClassifierImpl& model, const Batch& batch, const torch::Device& device,
                                         double share) {
  const torch::Tensor x = batch.images.to(device), y = batch.labels.to(device);
  const torch::Tensor logits = model.forward(x);
  const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
  (share == 1.0 ? loss : loss * share).backward();
  const int64_t n = batch.labels.size(0);
  DeviceTotals t;
  t.add(loss.detach().to(torch::kDouble) * static_cast<double>(n), logits.argmax(1).eq(y).sum(), n, n);
  return t;
}

std::unique_ptr<TrainingTask> make_image_task(const TrainOptions& options, const torch::Device& device,
                                              DataCache& cache, std::ostream& log, Communicator& comm) {
  (void)log;
  return std::make_unique<ImageTask>(options, device, cache, comm);
}

}  // namespace gem::train
