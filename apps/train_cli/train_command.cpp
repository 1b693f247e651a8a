#include "apps/train_cli/train_command.h"

#include <torch/cuda.h>

#include "src/train/distributed/dist_env.h"
#include "src/train/trainer/fields.h"

namespace gem::train_cli {

namespace {
// The flags both sides use.
constexpr const char* kRecipe = "--recipe";
constexpr const char* kOut = "--out";
constexpr const char* kResume = "--resume";
constexpr const char* kRestart = "--restart";
constexpr const char* kNprocPerNode = "--nproc-per-node";
}  // namespace

void add_train_command(CLI::App& app, TrainCommand& command) {
  command.recipes_dir = train::default_recipes_dir().string();
  app.add_option(kRecipe, command.recipe, "Recipe name (experiments/<name>.json) or path to a recipe file")->required();
  app.add_option("--recipes-dir", command.recipes_dir, "Where recipe names are looked up")->capture_default_str();
  app.add_option(kOut, command.out, "Run folder for options, metrics, checkpoint and summary");
  app.add_flag(kResume, command.resume, "Continue from --out's checkpoint (or return its summary if finished)");
  app.add_flag(kRestart, command.restart, "Discard the run --out holds (whatever its options) and train afresh");
  app.add_option("--stop-after-epochs", command.stop_after_epochs,
                 "End this session after that many epochs (resume later)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--print-options", command.print_options, "Print the resolved options as JSON and exit");
  app.add_option(kNprocPerNode, command.nproc_per_node,
                 "Start this many local ranks of a data-parallel job (Gloo on CPU, NCCL on CUDA), one CPU thread "
                 "each unless --threads says otherwise; under torchrun or srun, leave it out")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--dist-backend", command.dist_backend, "c10d backend: auto (nccl on CUDA, else gloo), gloo, nccl")
      ->check(CLI::IsMember({"auto", "gloo", "nccl"}))
      ->capture_default_str();
  app.add_option("--dist-timeout", command.dist_timeout_seconds,
                 "Seconds to wait for the other ranks (rendezvous and every collective) before failing")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  command.fields = std::make_unique<FieldFlags>(app);
}

TrainJob resolve_train_command(const TrainCommand& command) {
  TrainJob job{train::load_recipe(command.recipe, command.recipes_dir), {}};
  job.request.recipe = job.recipe.name;
  job.request.options = train::resolve_options(job.recipe, command.fields->overrides());
  job.request.out = command.out;
  job.request.resume = command.resume;
  job.request.restart = command.restart;
  job.request.stop_after_epochs = command.stop_after_epochs;
  return job;
}

std::vector<std::string> train_command_line(const std::filesystem::path& gem_train,
                                            const std::filesystem::path& recipe_file,
                                            const train::RunRequest& request) {
  std::vector<std::string> argv{gem_train.string(), kRecipe, recipe_file.string(), kOut, request.out.string(), kResume};
  if (request.restart) argv.push_back(kRestart);
  const nlohmann::json fields = train::to_json(request.options);
  for (const train::Field& f : train::train_fields()) {
    argv.push_back(f.flag);
    argv.push_back(flag_text(fields[f.key]));
  }
  return argv;
}

train::Runner gem_train_runner(const std::filesystem::path& gem_train, const std::filesystem::path& recipe_file,
                               int ranks) {
  return train::process_runner([gem_train, recipe_file, ranks](const train::RunRequest& request) {
    std::vector<std::string> argv = train_command_line(gem_train, recipe_file, request);
    if (ranks > 1) argv.insert(argv.end(), {kNprocPerNode, std::to_string(ranks)});
    return argv;
  });
}

std::vector<std::string> rank_command_line(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  bool threads = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == kNprocPerNode) {
      ++i;  // and its value
      continue;
    }
    if (a.rfind(std::string(kNprocPerNode) + "=", 0) == 0) continue;
    threads = threads || a == "--threads" || a.rfind("--threads=", 0) == 0;
    out.push_back(a);
  }
  if (!threads) out.insert(out.end(), {"--threads", "1"});
  return out;
}

std::shared_ptr<train::Communicator> join_job_of_environment(const TrainCommand& command, const std::string& device) {
  const train::DistEnv env = train::dist_env_from_environment();
  if (!env.distributed()) return nullptr;
  train::CommunicatorOptions o;
  o.backend = command.dist_backend;
  o.cuda = device == "cuda" || (device == "auto" && torch::cuda::is_available());
  o.timeout = std::chrono::seconds(command.dist_timeout_seconds);
  return train::join_job(env, o);
}

}  // namespace gem::train_cli
