#include "src/train/trainer/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <mutex>
#include <stdexcept>

#include "temp_file.h"  // apps/gem: TempFile (gem_app)

namespace gem::train {
namespace {

constexpr int64_t kFormatVersion = 1;

nlohmann::json state_to_json(const TrainingState& s) {
  nlohmann::json history = nlohmann::json::array();
  for (const auto& m : s.history) history.push_back(to_json(m));
  return {{"format", kFormatVersion},
          {"epochs_done", s.epochs_done},
          {"seconds", s.seconds},
          {"options", s.options},
          {"history", history}};
}

TrainingState state_from_json(const nlohmann::json& j) {
  if (j.at("format").get<int64_t>() != kFormatVersion)
    throw std::runtime_error("checkpoint format " + j.at("format").dump() + ", this gem-train reads format " +
                             std::to_string(kFormatVersion));
  TrainingState s;
  s.epochs_done = j.at("epochs_done").get<int64_t>();
  s.seconds = j.at("seconds").get<double>();
  s.options = j.at("options");
  for (const auto& m : j.at("history")) s.history.push_back(epoch_metrics_from_json(m));
  return s;
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                     const TrainingState& state) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    archive.write("cpu_generator", gen.get_state());
  }
  archive.write("state", c10::IValue(state_to_json(state).dump()));

  const std::filesystem::path folder = gem::app::folder_of(path);
  std::filesystem::create_directories(folder);
  gem::app::TempFile temp(folder, "." + path.filename().string(), ".tmp");
  archive.save_to(temp.path().string());
  temp.publish(path);
}

TrainingState read_checkpoint_state(const std::filesystem::path& path) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string(), torch::Device(torch::kCPU));
    c10::IValue state;
    archive.read("state", state);
    return state_from_json(nlohmann::json::parse(state.toStringRef()));
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot read the checkpoint " + path.string() + ": " + e.what() +
                             "\n  to fix: remove the file to start the run over");
  }
}

TrainingState load_checkpoint(const std::filesystem::path& path, torch::nn::Module& model,
                              torch::optim::Optimizer& optimizer, const torch::Device& device) {
  try {
    torch::serialize::InputArchive archive, model_archive, optimizer_archive;
    archive.load_from(path.string(), device);
    archive.read("model", model_archive);
    model.load(model_archive);
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    torch::Tensor generator_state;
    archive.read("cpu_generator", generator_state);
    {
      at::Generator gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(generator_state.to(torch::kCPU));
    }
    c10::IValue state;
    archive.read("state", state);
    return state_from_json(nlohmann::json::parse(state.toStringRef()));
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot resume from " + path.string() + ": " + e.what() +
                             "\n  to fix: remove the file to start over, or resume with the options it was written with");
  }
}

}  // namespace gem::train
