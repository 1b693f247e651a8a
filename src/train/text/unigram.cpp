#include "src/train/text/unigram.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace gem::train {
namespace {

torch::Tensor checked_ids(const torch::Tensor& ids, int64_t vocab_size, const char* name) {
  if (!ids.defined() || ids.dim() != 1 || torch::isFloatingType(ids.scalar_type()) ||
      ids.scalar_type() == torch::kBool)
    throw std::invalid_argument(std::string("unigram_perplexity: ") + name + " must be a 1-D integer tensor");
  torch::Tensor out = ids.to(torch::kCPU, torch::kLong).contiguous();
  if (out.numel() > 0 && (out.min().item<int64_t>() < 0 || out.max().item<int64_t>() >= vocab_size))
    throw std::invalid_argument(std::string("unigram_perplexity: ") + name + " has ids outside [0, " +
                                std::to_string(vocab_size) + ")");
  return out;
}

}  // namespace

double unigram_perplexity(const torch::Tensor& train, const torch::Tensor& val, int64_t vocab_size) {
  if (vocab_size < 1) throw std::invalid_argument("unigram_perplexity: vocab_size must be >= 1");
  const torch::Tensor t = checked_ids(train, vocab_size, "train"), v = checked_ids(val, vocab_size, "val");
  if (v.numel() == 0) throw std::invalid_argument("unigram_perplexity: val is empty");
  std::vector<double> counts(static_cast<size_t>(vocab_size), 1.0);  // add-one smoothing
  const int64_t* tp = t.data_ptr<int64_t>();
  for (int64_t i = 0; i < t.numel(); ++i) counts[static_cast<size_t>(tp[i])] += 1;
  const double log_total = std::log(static_cast<double>(t.numel() + vocab_size));
  const int64_t* vp = v.data_ptr<int64_t>();
  double nll = 0;
  for (int64_t i = 0; i < v.numel(); ++i) nll += log_total - std::log(counts[static_cast<size_t>(vp[i])]);
  return std::exp(nll / static_cast<double>(v.numel()));
}

}  // namespace gem::train
