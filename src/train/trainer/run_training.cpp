#include "src/train/trainer/run_training.h"

#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <new>
#include <stdexcept>

#include "src/support/folder_lock.h"
#include "src/support/memory.h"
#include "src/support/temp_file.h"
#include "src/train/distributed/replicate.h"
#include "src/train/distributed/shard.h"
#include "src/train/data/dataset.h"
#include "src/train/data/file_bytes.h"
#include "src/train/data/rng.h"
#include "src/train/models/feed_forward_spec.h"
#include "src/train/trainer/checkpoint.h"
#include "src/train/trainer/fields.h"
#include "src/train/trainer/json_files.h"
#include "src/train/trainer/metrics.h"
#include "src/train/trainer/optimizer.h"
#include "src/train/trainer/progress.h"
#include "src/train/trainer/run_folder.h"
#include "src/train/trainer/schedule.h"
#include "src/train/trainer/train_loop.h"
#include "src/train/trainer/training_task.h"

namespace gem::train {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * fraction);
  return buf;
}

std::string fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The checkpoint must hold this run (options.json said so; a mixed folder could disagree).
void check_checkpoint_run(const json& saved, const std::string& recipe, const json& now,
                          const std::filesystem::path& checkpoint, std::ostream& log) {
  RunFolder recorded;
  recorded.options = saved;
  const auto differences = run_differences(recorded, recipe, now);
  if (!differences.empty()) throw std::invalid_argument(differences_message(checkpoint, differences, "--restart"));
  if (saved.contains("threads") && saved["threads"] != now["threads"])
    log << "warning: resuming with threads " << now["threads"].dump() << " (the checkpoint ran with "
        << saved["threads"].dump() << "): the metrics may differ in the last bits from an uninterrupted run\n";
}

// Where the loss stopped being finite.
struct NonFiniteLoss {
  int64_t epoch = 0, step = 0;  // step 0: the evaluation after the epoch
  double loss = 0;
};

std::string number_text(double v) { return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"; }

std::string describe(const NonFiniteLoss& d, const char* held_out) {
  return d.step > 0 ? "the training loss is " + number_text(d.loss) + " at epoch " + std::to_string(d.epoch) +
                          ", step " + std::to_string(d.step)
                    : "the " + std::string(held_out) + " loss is " + number_text(d.loss) +
                          " in the evaluation after epoch " + std::to_string(d.epoch);
}

/// An ostream that drops what it is given: the log of ranks other than 0.
class NullStream : public std::ostream {
 public:
  NullStream() : std::ostream(nullptr) {}
};

std::string file_text(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

void write_file_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw std::runtime_error("cannot write the checkpoint copy " + path.string());
}

const char* const kDivergedAdvice =
    "; try a smaller --lr, a longer --warmup-epochs or --grad-clip 1, in another --out (or --restart)";

}  // namespace

const PreparedData& DataCache::get(const DataOptions& options) {
  const std::string key = json{{"dataset", options.dataset},
                               {"dir", options.dir.string()},
                               {"train_limit", options.train_limit},
                               {"test_limit", options.test_limit},
                               {"subset_seed", options.subset_seed}}
                              .dump();
  auto& slot = loaded_[key];
  if (!slot) {
    const TrainTestSplit split = load_data(options);
    if (split.test.channels != split.train.channels || split.test.height != split.train.height ||
        split.test.width != split.train.width)
      throw std::runtime_error(split.test.source + ": test images do not have the training images' geometry");
    auto data = std::make_unique<PreparedData>();
    const Normalization norm = channel_statistics(split.train);
    data->train = to_tensors(split.train, norm);
    data->test = to_tensors(split.test, norm);
    data->channels = split.train.channels;
    data->height = split.train.height;
    data->width = split.train.width;
    data->classes = split.train.classes;
    data->train_source = split.train.source;
    data->test_source = split.test.source;
    slot = std::move(data);
  }
  return *slot;
}

const PreparedText& DataCache::text(const TextDataOptions& options, std::ostream& log) {
  auto& slot = texts_[cache_key(options)];
  if (!slot) slot = std::make_unique<PreparedText>(prepare_text(options, log));
  return *slot;
}

json run_training(const RunRequest& request, std::ostream& rank_log, DataCache& cache) {
  const TrainOptions& o = request.options;
  validate(o);
  static const std::shared_ptr<Communicator> one_process = single_process();
  Communicator& comm = request.comm ? *request.comm : *one_process;
  const bool root = comm.is_root();
  require_even_split(o.batch_size, comm.size());
  // Only rank 0 speaks (every rank computes the same numbers); the others' errors still reach
  // their standard error through the tool.
  NullStream quiet;
  std::ostream& log = root ? rank_log : quiet;
  const std::string activation = canonical_feed_forward(o.activation);
  const std::filesystem::path checkpoint_path = request.out / "checkpoint.pt", summary_path = request.out / "summary.json",
                              metrics_path = request.out / "metrics.jsonl";
  const std::string tag = "[" + request.recipe + " " + activation + " seed " + std::to_string(o.seed) + "] ";
  json options_now = to_json(o);
  options_now["activation"] = activation;  // recorded in canonical form

  // Rank 0 owns the run folder: one writer while this run lasts; then the folder must hold this
  // run or none. It tells the other ranks whether to train (kTrain), that the run is already
  // finished, or that it refused the folder (its message says why).
  enum Start : int64_t { kTrain = 0, kFinished = 1, kRefused = 2 };
  std::unique_ptr<support::FolderLock> lock;
  RunFolder folder;
  if (root) {
    try {
      lock = std::make_unique<support::FolderLock>(request.out, "gem-train " + tag.substr(1, tag.size() - 3));
      remove_stale_temporaries(request.out);
      folder = inspect_run_folder(request.out);
      if (request.restart && folder.has_run) {
        clear_run_folder(request.out);
        log << tag << "--restart: discarded the run " << request.out.string() << " held\n";
        folder = RunFolder{};
      }
      if (folder.has_run) {
        const auto differences = run_differences(folder, request.recipe, options_now);
        if (!differences.empty())
          throw std::invalid_argument(differences_message(request.out, differences, "--restart"));
        if (!request.resume)
          throw std::invalid_argument(request.out.string() + " already holds this run (" +
                                      (folder.finished ? "finished: summary.json" : "unfinished") +
                                      "); pass --resume to " + (folder.finished ? "keep its result" : "continue it") +
                                      ", --restart to discard it and train afresh, or choose another --out");
        if (folder.diverged)
          throw TrainingDiverged(request.out.string() + " holds this run, which diverged (" + diverged_reason(folder) +
                                 "): there is nothing to resume" + kDivergedAdvice);
      }
      // The folder is bound to this run from now on (the full record follows once the data is loaded).
      const json identity = {
          {"recipe", request.recipe}, {"activation", activation}, {"seed", o.seed}, {"options", options_now}};
      if (!folder.finished && !std::filesystem::exists(request.out / "options.json"))
        write_json_atomically(request.out / "options.json", identity);
    } catch (...) {
      broadcast_integer(kRefused, comm);
      throw;
    }
  }
  const int64_t start = broadcast_integer(folder.finished ? kFinished : kTrain, comm);
  if (start == kRefused)
    throw std::runtime_error(comm.describe() + ": rank 0 refused the run folder (its message says why)");
  if (start == kFinished) {
    log << tag << "already finished: " << summary_path.string() << "\n";
    return root ? folder.summary : json();
  }

  // threads 0 means torch's own default, also after an earlier run of this process set another count.
  static const int torch_default_threads = at::get_num_threads();
  at::set_num_threads(o.threads > 0 ? static_cast<int>(o.threads) : torch_default_threads);
  const int threads = at::get_num_threads();
  torch::Device device = choose_device(o.device);
  if (comm.distributed() && device.is_cuda()) {
    const auto gpus = static_cast<int>(torch::cuda::device_count());
    if (comm.local_rank() >= gpus)
      throw std::runtime_error(comm.describe() + " uses the GPU of its LOCAL_RANK " +
                               std::to_string(comm.local_rank()) + ", but this machine has " + std::to_string(gpus) +
                               ": start at most one rank per GPU (--nproc-per-node " + std::to_string(gpus) + ")");
  }
  if (comm.distributed() && device.is_cuda())
    device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(comm.local_rank()));

  torch::manual_seed(static_cast<uint64_t>(o.seed));
  std::unique_ptr<TrainingTask> task;
  // The first rank of each machine fills the data and token caches; the others then read them.
  const bool fills_caches = comm.local_rank() == 0;
  if (!fills_caches) comm.barrier();
  try {
    task = make_task(o, device, cache, log, comm);
    if (fills_caches) comm.barrier();
  } catch (const std::exception& e) {
    // Allocation failures from LibTorch (c10::Error) or the standard library: name the sizes.
    const std::string what = e.what();
    if (dynamic_cast<const std::bad_alloc*>(&e) == nullptr && what.find("can't allocate memory") == std::string::npos &&
        what.find("Out of memory") == std::string::npos)
      throw;
    throw std::runtime_error("the model or the data of this run does not fit in memory (" +
                             support::format_bytes(static_cast<double>(support::available_memory_bytes())) +
                             " available): use smaller sizes (--width, --hidden, --depth, --embed-dim, --layers, "
                             "--context, --batch-size, --train-limit)");
  }
  const char* held_out = task->held_out_name();

  TrainingState state;
  state.options = options_now;
  // Rank 0 decides whether to resume and sends the checkpoint's bytes to the others.
  const bool resuming =
      broadcast_integer(root && request.resume && std::filesystem::exists(checkpoint_path) ? 1 : 0, comm) == 1;
  if (resuming) {
    if (root)
      check_checkpoint_run(read_checkpoint_state(checkpoint_path).options, request.recipe, state.options,
                           checkpoint_path, log);
    const std::string bytes = broadcast_bytes(root ? file_text(checkpoint_path) : std::string(), comm);
    std::unique_ptr<support::TempFile> copy;
    if (!root) {
      copy = std::make_unique<support::TempFile>(std::filesystem::temp_directory_path(), "gem-checkpoint", ".pt");
      write_file_bytes(copy->path(), bytes);
    }
    const TrainingState saved =
        load_checkpoint(root ? checkpoint_path : copy->path(), task->model(), task->optimizer(), device);
    state.epochs_done = saved.epochs_done;
    state.history = saved.history;
    state.seconds = saved.seconds;
    log << tag << "resuming after epoch " << state.epochs_done << " of " << o.epochs << " from "
        << checkpoint_path.string() << "\n";
  }
  broadcast_model(task->model(), comm);  // every rank starts from rank 0's weights
  std::vector<json> lines;
  for (const auto& m : state.history) lines.push_back(to_json(m));
  if (root) write_json_lines_atomically(metrics_path, lines);  // drops lines of an epoch the checkpoint lacks

  json extra = {
      {"options", state.options}, {"device", device.str()}, {"threads", threads}, {"world_size", comm.size()}};
  if (comm.distributed()) extra["dist_backend"] = comm.backend();
  const json description = task->description();
  for (const auto& [key, value] : description.items()) extra[key] = value;
  extra["torch_version"] = TORCH_VERSION;
  json options_file = extra;
  options_file["recipe"] = request.recipe;
  options_file["activation"] = activation;
  options_file["seed"] = o.seed;
  if (root) write_json_atomically(request.out / "options.json", options_file);
  if (state.epochs_done == 0)
    log << tag << task->banner() << ", " << device.str() << ", " << threads << " threads"
        << (comm.distributed() ? ", " + std::to_string(comm.size()) + " ranks (" + comm.backend() + ")" : std::string())
        << "\n";

  const int64_t steps_per_epoch = task->steps_per_epoch();
  double session_train_seconds = 0, last_eval_seconds = 0;
  int64_t session_steps = 0;
  const int64_t first_epoch = state.epochs_done;
  try {
    for (int64_t epoch = first_epoch; epoch < o.epochs; ++epoch) {
      if (request.stop_after_epochs > 0 && epoch - first_epoch == request.stop_after_epochs) {
        log << tag << "stopping after epoch " << epoch << " as asked; continue with --resume\n";
        return nullptr;
      }
      const auto on_step = [&](const StepProgress& p) {
        if (!std::isfinite(p.loss)) throw NonFiniteLoss{epoch + 1, p.step, p.loss};
        if (o.log_every == 0 || (p.step % o.log_every != 0 && p.step != p.steps)) return;
        const double per_step = (session_train_seconds + p.seconds) / static_cast<double>(session_steps + p.step);
        const int64_t steps_left = (p.steps - p.step) + (o.epochs - epoch - 1) * steps_per_epoch;
        const double eta = eta_seconds(steps_left, per_step, o.epochs - epoch, last_eval_seconds);
        log << tag << "epoch " << epoch + 1 << "/" << o.epochs << " step " << p.step << "/" << p.steps << " loss "
            << fixed(p.loss, 4) << " lr " << fixed(p.lr, 5) << " | " << fixed(p.samples / p.seconds, 0) << " "
            << task->unit() << "/s | ETA " << format_duration(eta) << "\n";
      };
      // Each rank's own stream for what torch's generator draws (dropout): rank r's rows get the
      // noise of their own, not rank 0's, and a resumed run draws what an uninterrupted one does.
      if (comm.distributed())
        torch::manual_seed(derive_seed(static_cast<uint64_t>(o.seed), Stream::rank_noise,
                                       static_cast<uint64_t>(epoch) * 65536 + static_cast<uint64_t>(comm.rank())));
      const TrainStats train = task->train_epoch(
          epoch, [&](int64_t step) { return learning_rate(o, epoch, step, steps_per_epoch); }, on_step);
      session_train_seconds += train.seconds;
      session_steps += steps_per_epoch;
      broadcast_buffers(task->model(), comm);  // batch norm's statistics: rank 0's, evaluated and saved
      const EvalStats eval = task->evaluate();
      last_eval_seconds = eval.seconds;
      if (!std::isfinite(eval.loss)) throw NonFiniteLoss{epoch + 1, 0, eval.loss};

      EpochMetrics m;
      m.epoch = epoch + 1;
      m.lr = train.last_lr;
      m.train_loss = train.loss;
      m.train_accuracy = train.accuracy;
      m.test_loss = eval.loss;
      m.test_accuracy = eval.accuracy;
      m.dead_measured = eval.dead_measured;
      m.dead_units = eval.dead_units;
      m.units = eval.units;
      m.train_seconds = train.seconds;
      m.eval_seconds = eval.seconds;
      m.samples_per_second = static_cast<double>(train.samples) / train.seconds;
      state.history.push_back(m);
      state.epochs_done = epoch + 1;
      state.seconds += train.seconds + eval.seconds;
      lines.push_back(to_json(m));
      if (root) {
        write_json_lines_atomically(metrics_path, lines);
        save_checkpoint(checkpoint_path, task->model(), task->optimizer(), state);
      }
      log << tag << "epoch " << m.epoch << "/" << o.epochs << ": train loss " << fixed(m.train_loss, 4) << " acc "
          << percent(m.train_accuracy) << " | " << held_out << " loss " << fixed(m.test_loss, 4)
          << (o.model == "gpt" ? " ppl " + fixed(std::exp(m.test_loss), 2) : std::string()) << " acc "
          << percent(m.test_accuracy) << " | dead "
          << (m.dead_measured ? percent(m.dead_fraction()) : std::string("not measured")) << " (" << m.dead_units << "/"
          << m.units << ") | " << fixed(train.seconds, 1) << " s + eval " << fixed(eval.seconds, 1) << " s\n";
    }
  } catch (const NonFiniteLoss& d) {
    // Keep what is sound: metrics.jsonl and the checkpoint of the last finite epoch; say so in
    // a summary, so that a sweep skips the run and the report shows it as diverged.
    const std::string reason = describe(d, held_out);
    json summary = extra;
    summary["recipe"] = request.recipe;
    summary["activation"] = activation;
    summary["seed"] = o.seed;
    summary["diverged"] = true;
    summary["diverged_reason"] = reason;
    summary["diverged_epoch"] = d.epoch;
    summary["diverged_step"] = d.step;
    summary["epochs_completed"] = state.epochs_done;
    summary["seconds"] = state.seconds;
    if (root) write_json_atomically(summary_path, summary);
    comm.barrier();  // every rank ends after rank 0 has written the summary (the launcher stops them all)
    log << tag << "diverged: " << reason << "; stopped, "
        << (state.epochs_done > 0 ? "the checkpoint of epoch " + std::to_string(state.epochs_done) + " is kept"
                                  : std::string("no epoch had finished"))
        << ", summary.json says \"diverged\": true\n";
    throw TrainingDiverged("training diverged: " + reason + " (" + request.out.string() + ")" + kDivergedAdvice);
  }

  if (comm.distributed()) extra["communication_seconds"] = comm.seconds_communicating();  // this session, rank 0
  json summary = make_summary({request.recipe, activation, o.seed}, state.history, state.seconds, extra);
  const json summary_extra = task->summary_extra(state.history);
  for (const auto& [key, value] : summary_extra.items()) summary[key] = value;
  if (root) write_json_atomically(summary_path, summary);
  log << tag << "done: " << held_out << " accuracy " << percent(summary["test_accuracy"].get<double>()) << " (best "
      << percent(summary["best_test_accuracy"].get<double>()) << " at epoch " << summary["best_epoch"].get<int64_t>()
      << "), " << held_out << " loss " << fixed(summary["test_loss"].get<double>(), 4)
      << (summary.contains("val_perplexity")
              ? ", perplexity " + fixed(summary["val_perplexity"].get<double>(), 2) + " (unigram " +
                    fixed(summary["unigram_perplexity"].get<double>(), 2) + ")"
              : std::string())
      << ", " << format_duration(state.seconds) << " -> " << summary_path.string() << "\n";
  return summary;
}

}  // namespace gem::train
