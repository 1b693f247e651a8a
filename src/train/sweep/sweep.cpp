#include "src/train/sweep/sweep.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "gem/spec.h"
#include "src/train/models/feed_forward_spec.h"
#include "src/train/sweep/run_dir.h"
#include "src/train/sweep/tee_stream.h"
#include "process.h"  // apps/gem (gem_app): run_process
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
  for (const std::string& text : activations) {
    const std::string spec = canonical_feed_forward(text);
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
      run.request = {plan.recipe.name, resolve_options(plan.recipe, fields), run.dir, /*resume=*/true};
      plan.runs.push_back(std::move(run));
    }
  }
  return plan;
}

bool run_finished(const std::filesystem::path& dir, const std::string& recipe, const std::string& activation,
                  int64_t seed) {
  const std::filesystem::path summary = dir / "summary.json";
  if (!std::filesystem::exists(summary)) return false;
  try {
    const json s = read_json_file(summary);
    return s.at("recipe") == recipe && s.at("activation") == activation && s.at("seed") == seed;
  } catch (const std::exception&) {
    return false;
  }
}

namespace {

std::string flag_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string text;
    for (const auto& v : value) text += (text.empty() ? "" : ",") + v.dump();
    return text;
  }
  return value.dump();  // numbers (exact round trip), true, false
}

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

Runner process_runner(const std::filesystem::path& gem_train, const std::filesystem::path& recipe_file) {
  return [gem_train, recipe_file](const RunRequest& request, std::ostream&) {
    std::vector<std::string> argv{gem_train.string(), "--recipe", recipe_file.string(), "--out",
                                  request.out.string(), "--resume"};
    const json fields = to_json(request.options);
    for (const Field& f : train_fields()) {
      argv.push_back(f.flag);
      argv.push_back(flag_text(fields[f.key]));
    }
    const std::filesystem::path log_file = request.out / "train.log";
    const int status = gem::app::run_process(argv, log_file);
    if (status != 0)
      throw std::runtime_error("gem-train exited with status " + std::to_string(status) + "; the end of " +
                               log_file.string() + ":\n" + tail_of(log_file, 1500));
    return read_json_file(request.out / "summary.json");
  };
}

SweepResult run_sweep(const SweepPlan& plan, std::ostream& log, const Runner& runner, int jobs) {
  if (jobs < 1) throw std::invalid_argument("jobs must be >= 1, got " + std::to_string(jobs));
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
      if (next == total) return;
      const int64_t i = next++;
      const PlannedRun& run = plan.runs[static_cast<size_t>(i)];
      const std::string label = "[" + std::to_string(i + 1) + "/" + std::to_string(total) + "] " +
                                plan.recipe.name + " " + run.activation + " seed " + std::to_string(run.seed);
      if (run_finished(run.dir, plan.recipe.name, run.activation, run.seed)) {
        ++result.skipped;
        ++done;
        log << label << ": finished before, skipped\n";
        continue;
      }
      log << label << " -> " << run.dir.string() << "\n" << std::flush;
      lock.unlock();

      std::filesystem::create_directories(run.dir);
      std::string error;
      json summary;
      {
        std::ofstream file_log(run.dir / "train.log", std::ios::app);
        if (jobs == 1) {
          TeeStream tee(file_log, log);
          try {
            summary = runner(run.request, tee);
          } catch (const std::exception& e) {
            error = e.what();
            tee << "error: " << error << "\n";
          }
        } else {
          try {
            summary = runner(run.request, file_log);
          } catch (const std::exception& e) {
            error = e.what();
            file_log << "error: " << error << "\n";
          }
        }
      }

      lock.lock();
      ++done;
      if (error.empty()) {
        ++result.ran;
        if (jobs > 1)
          log << label << ": " << outcome(summary) << ", " << format_duration(summary.value("seconds", 0.0)) << "\n";
      } else {
        result.failures.push_back(run.activation + " seed " + std::to_string(run.seed) + ": " + error);
        if (jobs > 1) log << label << ": FAILED: " << error << "\n";
      }
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const int64_t left = total - done;
      const auto attempted = static_cast<double>(result.ran + result.failures.size());
      if (left > 0 && attempted > 0)  // wall time per finished run already reflects the jobs running at once
        log << "sweep: " << left << " runs left, about " << format_duration(elapsed / attempted * left) << "\n";
      log << std::flush;
    }
  };
  std::vector<std::thread> workers;
  for (int j = 1; j < jobs; ++j) workers.emplace_back(work);
  work();
  for (auto& w : workers) w.join();

  log << "sweep " << plan.recipe.name << ": " << result.ran << " ran, " << result.skipped << " skipped, "
      << result.failures.size() << " failed; runs in " << plan.root.string() << "\n";
  for (const std::string& f : result.failures) log << "  failed: " << f << "\n";
  return result;
}

}  // namespace gem::train
