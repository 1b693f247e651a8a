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
  ImageTask(const TrainOptions& o, const torch::Device& device, DataCache& cache)
      : o_(o), device_(device), data_(cache.get(data_options(o))) {
    model_ = make_model(model_options(o, data_.channels, data_.height, data_.width, data_.classes));
    model_->to(device);
    optimizer_ = make_optimizer(o, *model_);
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
        [&](int64_t s) { return classifier_forward_backward(*model_, batches.batch(s), device_); }, on_step,
        o_.grad_clip);
  }

  EvalStats evaluate() override {
    const TensorSet& set = data_.test;
    const int64_t size = o_.eval_batch_size;
    return run_evaluation(
        *model_, (set.size() + size - 1) / size,
        [&](int64_t b) {
          const int64_t first = b * size, n = std::min(size, set.size() - first);
          const torch::Tensor x = set.images.narrow(0, first, n).to(device_),
                              y = set.labels.narrow(0, first, n).to(device_);
          const torch::Tensor logits = model_->forward(x);
          DeviceTotals t;
          t.add(torch::nn::functional::cross_entropy(
                    logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)),
                logits.argmax(1).eq(y).sum(), n, n);
          return t;
        },
        o_.dead_units);
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
  const char* held_out_name() const override { return "test"; }

 private:
  TrainOptions o_;
  torch::Device device_;
  const PreparedData& data_;
  Classifier model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

}  // namespace

DeviceTotals classifier_forward_backward(ClassifierImpl& model, const Batch& batch, const torch::Device& device) {
  const torch::Tensor x = batch.images.to(device), y = batch.labels.to(device);
  const torch::Tensor logits = model.forward(x);
  const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
  loss.backward();
  const int64_t n = batch.labels.size(0);
  DeviceTotals t;
  t.add(loss.detach().to(torch::kDouble) * static_cast<double>(n), logits.argmax(1).eq(y).sum(), n, n);
  return t;
}

std::unique_ptr<TrainingTask> make_image_task(const TrainOptions& options, const torch::Device& device,
                                              DataCache& cache, std::ostream& log) {
  (void)log;
  return std::make_unique<ImageTask>(options, device, cache);
}

}  // namespace gem::train
