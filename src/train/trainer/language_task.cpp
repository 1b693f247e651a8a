#include "src/train/trainer/language_task.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/train/data/rng.h"
#include "src/train/models/classifier.h"
#include "src/train/models/language_model.h"
#include "src/train/text/token_windows.h"
#include "src/train/trainer/autocast.h"
#include "src/train/trainer/optimizer.h"
#include "src/train/trainer/progress.h"
#include "src/train/trainer/run_training.h"

namespace gem::train {
namespace {

class LanguageTask : public TrainingTask {
 public:
  LanguageTask(const TrainOptions& o, const torch::Device& device, DataCache& cache, std::ostream& log,
               Communicator& comm)
      : o_(o), device_(device), text_(cache.text(text_data_options(o), log)), comm_(comm) {
    model_ = make_language_model(transformer_options(o, text_.tokenizer.vocab_size()));
    model_->to(device);
    optimizer_ = make_optimizer(o, *model_, /*decay_matrices_only=*/true);
    window_ = o.language_model.context + (model_->causal() ? 1 : 0);
    if (text_.tokens.train.numel() < window_ || text_.tokens.val.numel() < window_)
      throw std::runtime_error("text: " + std::to_string(text_.tokens.train.numel()) + " training and " +
                               std::to_string(text_.tokens.val.numel()) + " validation tokens, fewer than one window of " +
                               std::to_string(window_) + "; use more text or a shorter context");
    masking_.mask_prob = o.mask_prob;
    masking_.mask_id = text_.tokenizer.mask_id();
    masking_.vocab_size = text_.tokenizer.vocab_size();
    eval_share(eval_starts().size());  // refused now, not after an epoch of training
  }

  torch::nn::Module& model() override { return *model_; }
  torch::optim::Optimizer& optimizer() override { return *optimizer_; }
  int64_t steps_per_epoch() const override { return o_.steps_per_epoch; }

  TrainStats train_epoch(int64_t epoch, const std::function<double(int64_t)>& lr_at,
                         const std::function<void(const StepProgress&)>& on_step) override {
    const auto seed = static_cast<uint64_t>(o_.seed);
    const auto step = [&](int64_t s) {
      DeviceTotals totals;
      for (int64_t micro = 0; micro < o_.grad_accumulation; ++micro) {
        // Every batch of the run has its own index, so resuming needs no generator state.
        const auto index = static_cast<uint64_t>((epoch * o_.steps_per_epoch + s) * o_.grad_accumulation + micro);
        const auto starts = random_window_starts(text_.tokens.train.numel(), window_, o_.batch_size,
                                                 derive_seed(seed, Stream::token_windows, index));
        // Every rank draws the same global batch (its masks included) and trains on its rows.
        const TokenBatch whole = make_batch(text_.tokens.train, starts, derive_seed(seed, Stream::masking, index));
        const Shard mine = shard_of(o_.batch_size, comm_.rank(), comm_.size());
        const bool all = mine.count == o_.batch_size;
        const int64_t predicted = all ? 0 : whole.targets.ne(kIgnoreIndex).sum().item<int64_t>();
        const TokenBatch part = all ? whole
                                    : TokenBatch{whole.inputs.narrow(0, mine.begin, mine.count),
                                                 whole.targets.narrow(0, mine.begin, mine.count)};
        const DeviceTotals t = forward_totals(part);
        // The step's gradient is that of the mean loss over all its predicted tokens (of every
        // rank's rows: the ranks' gradients sum to it).
        const int64_t denominator = (all ? t.count : predicted) * o_.grad_accumulation;
        (t.loss_sum / static_cast<double>(std::max<int64_t>(1, denominator))).backward();
        totals.add(t);
      }
      return totals;
    };
    return run_train_epoch(*model_, *optimizer_, o_.steps_per_epoch, o_.log_every, lr_at, step, on_step, o_.grad_clip,
                           comm_);
  }

  EvalStats evaluate() override {
    const std::vector<int64_t> starts = eval_starts();
    const auto size = static_cast<size_t>(o_.eval_batch_size);
    const Shard mine = eval_share(starts.size());
    return run_evaluation(
        *model_, mine.count,
        [&](int64_t b) {
          const size_t first = static_cast<size_t>(mine.begin + b) * size, last = std::min(starts.size(), first + size);
          const std::vector<int64_t> part(starts.begin() + static_cast<std::ptrdiff_t>(first),
                                          starts.begin() + static_cast<std::ptrdiff_t>(last));
          // The same masks in every evaluation and every run of a sweep: seeded by subset_seed.
          const TokenBatch batch =
              make_batch(text_.tokens.val, part,
                         derive_seed(static_cast<uint64_t>(o_.subset_seed), Stream::masking,
                                     std::numeric_limits<uint32_t>::max() + static_cast<uint64_t>(first)));
          return forward_totals(batch);
        },
        o_.dead_units, comm_);
  }

  nlohmann::json description() const override {
    return {{"parameters", parameter_count(*model_)},
            {"vocab_size", text_.tokenizer.vocab_size()},
            {"train_tokens", text_.tokens.train.numel()},
            {"val_tokens", text_.tokens.val.numel()},
            {"train_bytes", text_.train_bytes},
            {"val_bytes", text_.val_bytes},
            {"train_source", text_.train_source},
            {"val_source", text_.val_source},
            {"tokenizer", text_.tokenizer.kind()},
            {"tokenizer_file", text_.tokenizer.model_file().string()},
            {"tokenizer_fingerprint", text_.tokenizer.fingerprint()},
            {"unigram_perplexity", text_.unigram_perplexity}};
  }

  std::string banner() const override {
    return o_.model + " (" + std::to_string(o_.language_model.layers) + " layers, " +
           std::to_string(o_.language_model.heads) + " heads, width " + std::to_string(o_.language_model.embed_dim) +
           ", context " + std::to_string(o_.language_model.context) + "), " + std::to_string(parameter_count(*model_)) +
           " parameters, vocabulary " + std::to_string(text_.tokenizer.vocab_size()) + ", " +
           std::to_string(text_.tokens.train.numel()) + " training / " + std::to_string(text_.tokens.val.numel()) +
           " validation tokens";
  }

  const char* unit() const override { return "tokens"; }
  const char* held_out_name() const override { return "val"; }

  nlohmann::json summary_extra(const std::vector<EpochMetrics>& history) const override {
    double best = std::numeric_limits<double>::infinity(), throughput = 0;
    for (const auto& m : history) {
      best = std::min(best, m.test_loss);
      throughput += m.samples_per_second;
    }
    const double last = history.back().test_loss;
    nlohmann::json s = {{"val_loss", last},
                        {"best_val_loss", best},
                        {"val_accuracy", history.back().test_accuracy},
                        {"tokens_per_second", throughput / static_cast<double>(history.size())}};
    if (model_->causal()) {
      s["val_perplexity"] = std::exp(last);
      s["best_val_perplexity"] = std::exp(best);
      s["unigram_perplexity"] = text_.unigram_perplexity;
    }
    return s;
  }

 private:
  /// The windows of the held-out pass, and the batches of them that are this rank's.
  std::vector<int64_t> eval_starts() const {
    const int64_t max_windows = o_.val_tokens > 0 ? std::max<int64_t>(1, o_.val_tokens / o_.language_model.context) : 0;
    return eval_window_starts(text_.tokens.val.numel(), window_, max_windows);
  }
  Shard eval_share(size_t windows) const {
    const auto w = static_cast<int64_t>(windows);
    return evaluation_share((w + o_.eval_batch_size - 1) / o_.eval_batch_size, comm_, o_.eval_batch_size);
  }

  TokenBatch make_batch(const torch::Tensor& tokens, const std::vector<int64_t>& starts, uint64_t mask_seed) const {
    return model_->causal() ? causal_batch(tokens, starts, o_.language_model.context)
                            : masked_batch(tokens, starts, o_.language_model.context, mask_seed, masking_);
  }

  /// The batch's cross-entropy summed over its predicted tokens and the right ones (left on the
  /// device), the tokens predicted and fed.
  DeviceTotals forward_totals(const TokenBatch& batch) {
    // Counted on the host copy: no device round trip for it.
    const int64_t predicted = batch.targets.ne(kIgnoreIndex).sum().item<int64_t>();
    const torch::Tensor inputs = batch.inputs.to(device_), targets = batch.targets.to(device_).reshape({-1});
    torch::Tensor logits;
    {
      const CudaBf16Autocast autocast(o_.autocast_bf16 && device_.is_cuda());
      logits = model_->forward(inputs);
    }
    logits = logits.reshape({-1, logits.size(-1)}).to(torch::kFloat);
    DeviceTotals t;
    // The loss keeps its graph (train_epoch differentiates it); add() keeps a detached copy.
    t.loss_sum = torch::nn::functional::cross_entropy(
        logits, targets,
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnoreIndex).reduction(torch::kSum));
    t.correct = logits.detach().argmax(1).eq(targets).logical_and(targets.ne(kIgnoreIndex)).sum();
    t.count = predicted;
    t.samples = batch.inputs.numel();
    return t;
  }

  TrainOptions o_;
  torch::Device device_;
  const PreparedText& text_;
  Communicator& comm_;
  LanguageModel model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  int64_t window_ = 0;
  MaskingOptions masking_;
};

}  // namespace

TextDataOptions text_data_options(const TrainOptions& o) {
  TextDataOptions t;
  t.corpus.corpus = o.dataset;
  t.corpus.train_path = o.data_dir;
  t.corpus.val_path = o.val_data;
  t.corpus.val_fraction = o.val_fraction;
  t.tokenizer.vocab_size = o.vocab_size;
  t.tokenizer.model_type = o.tokenizer;
  t.tokenizer.gpt2_dir = o.tokenizer_dir;
  t.tokenizer.cache_dir = o.cache_dir;
  return t;
}

std::unique_ptr<TrainingTask> make_language_task(const TrainOptions& options, const torch::Device& device,
                                                 DataCache& cache, std::ostream& log, Communicator& comm) {
  return std::make_unique<LanguageTask>(options, device, cache, log, comm);
}

}  // namespace gem::train
