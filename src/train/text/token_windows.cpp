#include "src/train/text/token_windows.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "gem/params.h"
#include "src/train/data/rng.h"

namespace gem::train {
namespace {

void check_window(int64_t tokens, int64_t window, const char* what) {
  if (window < 1 || window > tokens)
    throw std::invalid_argument(std::string(what) + ": window of " + std::to_string(window) + " tokens does not fit " +
                                std::to_string(tokens) + " tokens; use a window in [1, tokens] (a shorter context "
                                "or more text)");
}

// The ids as contiguous int64 on the CPU (a no-op for the tensors tokenize_corpus returns).
torch::Tensor int64_ids(const torch::Tensor& tokens, const char* what) {
  if (!tokens.defined() || tokens.dim() != 1 || torch::isFloatingType(tokens.scalar_type()) ||
      tokens.scalar_type() == torch::kBool)
    throw std::invalid_argument(std::string(what) + ": tokens must be a 1-D integer tensor");
  return tokens.to(torch::kCPU, torch::kLong).contiguous();
}

void check_starts(const std::vector<int64_t>& starts, int64_t window, int64_t tokens, const char* what) {
  if (starts.empty()) throw std::invalid_argument(std::string(what) + ": no window starts");
  for (const int64_t s : starts)
    if (s < 0 || s + window > tokens)
      throw std::invalid_argument(std::string(what) + ": a window of " + std::to_string(window) + " tokens at " +
                                  std::to_string(s) + " runs past the " + std::to_string(tokens) + " tokens");
}

double uniform01(SplitMix64& rng) { return static_cast<double>(rng.next() >> 11) * 0x1.0p-53; }

}  // namespace

std::vector<int64_t> random_window_starts(int64_t tokens, int64_t window, int64_t count, uint64_t seed) {
  check_window(tokens, window, "random_window_starts");
  if (count < 0) throw std::invalid_argument("random_window_starts: count must be >= 0");
  SplitMix64 rng(seed);
  const auto positions = static_cast<uint64_t>(tokens - window + 1);
  std::vector<int64_t> starts(static_cast<size_t>(count));
  for (auto& s : starts) s = static_cast<int64_t>(rng.below(positions));
  return starts;
}

std::vector<int64_t> eval_window_starts(int64_t tokens, int64_t window, int64_t max_windows) {
  check_window(tokens, window, "eval_window_starts");
  if (max_windows < 0) throw std::invalid_argument("eval_window_starts: max_windows must be >= 0 (0: all)");
  const int64_t all = tokens / window;
  const int64_t n = max_windows == 0 ? all : std::min(all, max_windows);
  std::vector<int64_t> starts(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) starts[static_cast<size_t>(j)] = (j * all / n) * window;
  return starts;
}

TokenBatch causal_batch(const torch::Tensor& tokens, const std::vector<int64_t>& starts, int64_t context) {
  if (context < 1) throw std::invalid_argument("causal_batch: context must be >= 1, got " + std::to_string(context));
  const torch::Tensor ids = int64_ids(tokens, "causal_batch");
  check_starts(starts, context + 1, ids.numel(), "causal_batch");
  const auto rows = static_cast<int64_t>(starts.size());
  TokenBatch b{torch::empty({rows, context}, torch::kLong), torch::empty({rows, context}, torch::kLong)};
  const int64_t* src = ids.data_ptr<int64_t>();
  int64_t* in = b.inputs.data_ptr<int64_t>();
  int64_t* target = b.targets.data_ptr<int64_t>();
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t* w = src + starts[static_cast<size_t>(r)];
    std::copy(w, w + context, in + r * context);
    std::copy(w + 1, w + 1 + context, target + r * context);
  }
  return b;
}

TokenBatch masked_batch(const torch::Tensor& tokens, const std::vector<int64_t>& starts, int64_t context,
                        uint64_t seed, const MaskingOptions& m) {
  if (context < 1) throw std::invalid_argument("masked_batch: context must be >= 1, got " + std::to_string(context));
  if (!(m.mask_prob > 0 && m.mask_prob <= 1))
    throw std::invalid_argument("masked_batch: mask_prob must be in (0, 1], got " + format_double(m.mask_prob));
  if (m.vocab_size < 1) throw std::invalid_argument("masked_batch: vocab_size must be >= 1");
  if (m.mask_id < 0 || m.mask_id >= m.vocab_size)
    throw std::invalid_argument("masked_batch: mask_id " + std::to_string(m.mask_id) + " is outside [0, " +
                                std::to_string(m.vocab_size) + ")");
  const torch::Tensor ids = int64_ids(tokens, "masked_batch");
  if (ids.numel() < context)
    throw std::invalid_argument("masked_batch: " + std::to_string(ids.numel()) + " tokens are shorter than one window of " +
                                std::to_string(context));
  check_starts(starts, context, ids.numel(), "masked_batch");
  const auto rows = static_cast<int64_t>(starts.size());
  TokenBatch b{torch::empty({rows, context}, torch::kLong), torch::full({rows, context}, kIgnoreIndex, torch::kLong)};
  const int64_t* src = ids.data_ptr<int64_t>();
  int64_t* in = b.inputs.data_ptr<int64_t>();
  int64_t* target = b.targets.data_ptr<int64_t>();
  std::vector<int64_t> selected;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t* w = src + starts[static_cast<size_t>(r)];
    int64_t* row_in = in + r * context;
    int64_t* row_target = target + r * context;
    std::copy(w, w + context, row_in);
    SplitMix64 rng(derive_seed(seed, Stream::masking, static_cast<uint64_t>(r)));
    selected.clear();
    for (int64_t t = 0; t < context; ++t)
      if (uniform01(rng) < m.mask_prob) selected.push_back(t);
    if (selected.empty()) selected.push_back(static_cast<int64_t>(rng.below(static_cast<uint64_t>(context))));
    for (const int64_t t : selected) {
      row_target[t] = w[t];
      const double u = uniform01(rng);
      if (u < 0.8)
        row_in[t] = m.mask_id;
      else if (u < 0.9)
        row_in[t] = static_cast<int64_t>(rng.below(static_cast<uint64_t>(m.vocab_size)));
    }
  }
  return b;
}

}  // namespace gem::train
