#include "src/train/distributed/gradient_sync.h"

#include <torch/torch.h>

namespace gem::train {

void sum_gradients(const std::vector<torch::Tensor>& parameters, Communicator& comm) {
  if (!comm.distributed()) return;
  // Buckets of consecutive parameters with the same dtype and device.
  std::vector<std::vector<torch::Tensor>> buckets;
  int64_t bucket_bytes = 0;
  for (const torch::Tensor& p : parameters) {
    if (!p.requires_grad()) continue;
    torch::Tensor& g = p.mutable_grad();
    if (!g.defined()) g = torch::zeros_like(p);
    const int64_t bytes = g.numel() * static_cast<int64_t>(g.element_size());
    const bool fits = !buckets.empty() && bucket_bytes + bytes <= kGradientBucketBytes &&
                      buckets.back().front().scalar_type() == g.scalar_type() &&
                      buckets.back().front().device() == g.device();
    if (!fits) {
      buckets.emplace_back();
      bucket_bytes = 0;
    }
    buckets.back().push_back(g);
    bucket_bytes += bytes;
  }
  std::vector<torch::Tensor> flat;
  flat.reserve(buckets.size());
  for (const auto& bucket : buckets) {
    std::vector<torch::Tensor> views;
    for (const torch::Tensor& g : bucket) views.push_back(g.reshape({-1}));
    flat.push_back(torch::cat(views));
  }
  comm.all_reduce_sum(flat);
  for (size_t b = 0; b < buckets.size(); ++b) {
    int64_t offset = 0;
    for (const torch::Tensor& g : buckets[b]) {
      g.copy_(flat[b].narrow(0, offset, g.numel()).view_as(g));
      offset += g.numel();
    }
  }
}

}  // namespace gem::train
