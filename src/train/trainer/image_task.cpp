#include "src/train/trainer/image_task.h"

#include <torch/torch.h>

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
    return gem::train::train_epoch(*model_, *optimizer_, batches, device_, lr_at, on_step, o_.grad_clip);
  }

  EvalStats evaluate() override {
    return gem::train::evaluate(*model_, data_.test, o_.eval_batch_size, device_, o_.dead_units);
  }

  nlohmann::json description() const override {
    return {{"parameters", parameter_count(*model_)},
            {"train_size", data_.train.size()},
            {"test_size", data_.test.size()},
            {"train_source", data_.train_source},
            {"test_source", data_.test_source}};
  }

  std::string banner() const override {
    return o_.model + (o_.model == "resnet" ? "-" + std::to_string(o_.depth) : "") + ", " +
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

std::unique_ptr<TrainingTask> make_image_task(const TrainOptions& options, const torch::Device& device,
                                              DataCache& cache, std::ostream& log) {
  (void)log;
  return std::make_unique<ImageTask>(options, device, cache);
}

}  // namespace gem::train
