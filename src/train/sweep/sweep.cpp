#include "src/train/sweep/sweep.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "gem/quoted.h"
#include "gem/spec.h"
#include "src/support/folder_lock.h"
#include "src/support/process.h"
#include "src/support/stop_signals.h"
#include "src/train/models/feed_forward_spec.h"
#include "src/train/sweep/run_dir.h"
#include "src/train/sweep/tee_stream.h"
#include "src/train/trainer/fields.h"
#include "src/train/trainer/json_files.h"
#include "src/train/trainer/progress.h"

namespace gem::train {

using nlohmann::json;

SweepPlan plan_sweep(const SweepOptions& options) {
  SweepPlan plan;
  plan.recipe = load_recipe(options.recipe, options.recipes_dir);
  plan.root = options.out / plan.recipe.name;
  const std::vector<std::string> activations = options.activations.empty() ? plan.recipe.activations : options.activations;
  const std::vector<int64_t> seeds = options.seeds.empty() ? plan.recipe.seeds : options.seeds;
  if (activations.empty())
    throw std::invalid_argument("recipe " + plan.recipe.name + " lists no activations: pass --act");
  if (seeds.empty()) throw std::invalid_argument("recipe " + plan.recipe.name + " lists no seeds: pass --seeds");
  // The same run twice would race for one folder: duplicates are errors (also when spelled apart).
  std::vector<std::string> specs;
  for (const std::string& text : activations) {
    const std::string spec = canonical_feed_forward(text);
    if (std::find(specs.begin(), specs.end(), spec) != specs.end())
      throw std::invalid_argument("activation " + quoted_excerpt(text) + " is listed twice (as " + spec +
                                  "); give each activation once");
    specs.push_back(spec);
  }
  for (auto s = seeds.begin(); s != seeds.end(); ++s)
    if (std::find(seeds.begin(), s, *s) != s)
      throw std::invalid_argument("seed " + std::to_string(*s) + " is listed twice; give each seed once");
  for (const std::string& spec : specs) {
    for (int64_t seed : seeds) {
      if (seed < 0) throw std::invalid_argument("seeds must be >= 0, got " + std::to_string(seed));
      json fields = options.overrides;
      fields["activation"] = spec;
      fields["seed"] = seed;
      // One progress line per epoch in a sweep, unless the recipe or a flag asks for more.
      if (!fields.contains("log_every") && !plan.recipe.train.contains("log_every")) fields["log_every"] = 0;
      PlannedRun run;
      run.activation = spec;
      run.seed = seed;
      run.dir = run_dir(options.out, plan.recipe.name, spec, seed);
      run.request.recipe = plan.recipe.name;
      run.request.options = resolve_options(plan.recipe, fields);
      run.request.out = run.dir;
      run.request.resume = true;
      plan.runs.push_back(std::move(run));
    }
  }
  // A folder holding a run made with other options would be skipped as done or resumed with the
  // wrong options: refuse before anything trains, naming each (or restart them when asked).
  std::vector<std::string> changed;
  for (PlannedRun& run : plan.runs) {
    RunFolder folder;
    try {
      folder = inspect_run_folder(run.dir);
    } catch (const std::exception& e) {
      if (!options.restart_changed) throw std::invalid_argument(std::string(e.what()) + " (or pass --restart-changed)");
      run.request.restart = true;
      continue;
    }
    const auto differences = run_differences(folder, plan.recipe.name, to_json(run.request.options));
    if (differences.empty()) continue;
    run.request.restart = options.restart_changed;
    changed.push_back(run.dir.string() + ": " + differences.front() +
                      (differences.size() > 1 ? " (and " + std::to_string(differences.size() - 1) + " more)" : ""));
  }
  if (!changed.empty() && !options.restart_changed) {
    std::string text = std::to_string(changed.size()) + " of the " + std::to_string(plan.runs.size()) +
                       " run folders hold runs made with other options, which this sweep would mix with its own:";
    for (std::size_t i = 0; i < changed.size() && i < 8; ++i) text += "\n  " + changed[i];
    if (changed.size() > 8) text += "\n  ... and " + std::to_string(changed.size() - 8) + " more";
    throw std::invalid_argument(text +
                                "\n  to fix: give the options they were made with, choose another --out, or "
                                "pass --restart-changed to train those runs afresh");
  }
  return plan;
}

bool run_finished(const RunRequest& request) {
  if (request.restart) return false;
  try {
    const RunFolder folder = inspect_run_folder(request.out);
    return folder.finished && run_differences(folder, request.recipe, to_json(request.options)).empty();
  } catch (const std::exception&) {
    return false;  // unreadable: the run itself reports why
  }
}

namespace {

// A child ended by the signal that stops the sweep: neither a result nor a failure.
struct Interrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string tail_of(const std::filesystem::path& file, size_t max_chars) {
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > max_chars) text = "..." + text.substr(text.size() - max_chars);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string percent(const json& summary, const char* key) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * summary.value(key, 0.0));
  return buf;
}

// The one-line result of a finished run: accuracy for the image models; loss (and perplexity
// against the unigram baseline for decoders) for the language models.
std::string outcome(const json& summary) {
  if (!summary.contains("val_loss"))
    return "test accuracy " + percent(summary, "test_accuracy") + " (best " + percent(summary, "best_test_accuracy") + ")";
  char buf[160];
  if (summary.contains("val_perplexity"))
    std::snprintf(buf, sizeof buf, "val loss %.4f, perplexity %.2f (unigram %.2f)", summary.value("val_loss", 0.0),
                  summary.value("val_perplexity", 0.0), summary.value("unigram_perplexity", 0.0));
  else
    std::snprintf(buf, sizeof buf, "val loss %.4f (masked tokens)", summary.value("val_loss", 0.0));
  return buf;
}

}  // namespace

Runner in_process_runner() {
  auto cache = std::make_shared<DataCache>();
  return [cache](const RunRequest& request, std::ostream& log) { return run_training(request, log, *cache); };
}

Runner process_runner(CommandLine command) {
  return [command = std::move(command)](const RunRequest& request, std::ostream&) {
    const std::vector<std::string> argv = command(request);
    const std::string worker = std::filesystem::path(argv.at(0)).filename().string();
    const std::filesystem::path log_file = request.out / "train.log";
    const int status = gem::support::run_process(argv, log_file, {/*die_with_parent=*/true});
    if (status == 0) return read_json_file(request.out / "summary.json");
    if ((status == 128 + SIGTERM || status == 128 + SIGINT) && support::StopOnSignals::received() != 0)
      throw Interrupted(worker + " ended by the sweep's signal");
    if (status > 128)
      throw std::runtime_error(worker + " was ended by signal " + std::to_string(status - 128) +
                               " from outside the sweep; its checkpoint stays, rerun the sweep to resume it");
    try {
      const RunFolder folder = inspect_run_folder(request.out);
      if (folder.diverged) throw TrainingDiverged(diverged_reason(folder));
    } catch (const TrainingDiverged&) {
      throw;
    } catch (const std::exception&) {
      // the log below says what happened
    }
    throw std::runtime_error(worker + " exited with status " + std::to_string(status) + "; the end of " +
                             log_file.string() + ":\n" + tail_of(log_file, 1500));
  };
}

SweepResult run_sweep(const SweepPlan& plan, std::ostream& log, const Runner& runner, int jobs) {
  if (jobs < 1) throw std::invalid_argument("jobs must be >= 1, got " + std::to_string(jobs));
  const support::FolderLock lock(plan.root, "gem-sweep run " + plan.recipe.name);
  // Children exist only with jobs > 1; with one job, SIGINT ends the process as usual.
  std::optional<support::StopOnSignals> stop;
  if (jobs > 1) stop.emplace();
  json activations = json::array(), seeds = json::array();
  for (const PlannedRun& r : plan.runs) {
    if (std::find(activations.begin(), activations.end(), r.activation) == activations.end())
      activations.push_back(r.activation);
    if (std::find(seeds.begin(), seeds.end(), r.seed) == seeds.end()) seeds.push_back(r.seed);
  }
  write_json_atomically(plan.root / "sweep.json", {{"recipe", plan.recipe.name},
                                                   {"description", plan.recipe.description},
                                                   {"activations", activations},
                                                   {"seeds", seeds}});
  log << "sweep " << plan.recipe.name << ": " << activations.size() << " activations x " << seeds.size()
      << " seeds = " << plan.runs.size() << " runs into " << plan.root.string() << ", " << jobs << " at a time\n";
  SweepResult result;
  std::mutex mutex;  // guards result, log and the counters below
  const auto start = std::chrono::steady_clock::now();
  const auto total = static_cast<int64_t>(plan.runs.size());
  int64_t next = 0, done = 0;

  const auto work = [&] {
    while (true) {
      std::unique_lock<std::mutex> lock(mutex);
      if (next == total || support::StopOnSignals::received() != 0) return;
      const int64_t i = next++;
      const PlannedRun& run = plan.runs[static_cast<size_t>(i)];
      const std::string label = "[" + std::to_string(i + 1) + "/" + std::to_string(total) + "] " +
                                plan.recipe.name + " " + run.activation + " seed " + std::to_string(run.seed);
      const std::string name = run.activation + " seed " + std::to_string(run.seed);
      if (run_finished(run.request)) {
        ++result.skipped;
        ++done;
        const RunFolder folder = inspect_run_folder(run.dir);
        if (folder.diverged) {
          result.diverged.push_back(name + ": " + diverged_reason(folder));
          log << label << ": finished before (diverged), skipped\n";
        } else {
          log << label << ": finished before, skipped\n";
        }
        continue;
      }
      log << label << " -> " << run.dir.string() << "\n" << std::flush;
      lock.unlock();

      std::filesystem::create_directories(run.dir);
      std::string error, diverged;
      bool interrupted = false;
      json summary;
      if (std::filesystem::is_symlink(run.dir / "train.log")) {
        error = (run.dir / "train.log").string() + " is a symbolic link; remove it (a run writes its own log)";
      } else {
        std::ofstream file_log(run.dir / "train.log", std::ios::app);
        TeeStream tee(file_log, log);
        std::ostream& out = jobs == 1 ? static_cast<std::ostream&>(tee) : file_log;
        out << std::unitbuf;  // a line at a time: a killed run's log keeps what it said
        try {
          summary = runner(run.request, out);
        } catch (const Interrupted&) {
          interrupted = true;
        } catch (const TrainingDiverged& e) {
          diverged = e.what();
        } catch (const std::exception& e) {
          error = e.what();
          out << "error: " << error << "\n";
        }
      }

      lock.lock();
      ++done;
      if (interrupted || (!error.empty() && support::StopOnSignals::received() != 0)) {
        log << label << ": stopped by signal " << support::StopOnSignals::received() << "\n";
      } else if (!diverged.empty()) {
        result.diverged.push_back(name + ": " + diverged);
        log << label << ": DIVERGED: " << diverged << "\n";
      } else if (error.empty()) {
        ++result.ran;
        if (jobs > 1)
          log << label << ": " << outcome(summary) << ", " << format_duration(summary.value("seconds", 0.0)) << "\n";
      } else {
        result.failures.push_back(name + ": " + error);
        if (jobs > 1) log << label << ": FAILED: " << error << "\n";
      }
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const int64_t left = total - done;
      const auto attempted = static_cast<double>(result.ran + result.diverged.size() + result.failures.size());
      if (left > 0 && attempted > 0 && support::StopOnSignals::received() == 0)
        // wall time per finished run already reflects the jobs running at once
        log << "sweep: " << left << " runs left, about " << format_duration(elapsed / attempted * left) << "\n";
      log << std::flush;
    }
  };
  std::vector<std::thread> workers;
  for (int j = 1; j < jobs; ++j) workers.emplace_back(work);
  work();
  for (auto& w : workers) w.join();
  result.interrupted = support::StopOnSignals::received();

  log << "sweep " << plan.recipe.name << ": " << result.ran << " ran, " << result.skipped << " skipped, "
      << result.diverged.size() << " diverged, " << result.failures.size() << " failed; runs in " << plan.root.string()
      << "\n";
  for (const std::string& d : result.diverged) log << "  diverged: " << d << "\n";
  for (const std::string& f : result.failures) log << "  failed: " << f << "\n";
  if (result.interrupted != 0)
    log << "sweep " << plan.recipe.name << ": stopped by signal " << result.interrupted << " ("
        << (result.interrupted == SIGINT ? "SIGINT" : "SIGTERM")
        << "); the running runs were ended and keep their checkpoints: run the same command again to go on\n";
  return result;
}

}  // namespace gem::train
