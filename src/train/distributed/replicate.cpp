#include "src/train/distributed/replicate.h"

#include <torch/torch.h>

#include <cstring>
#include <vector>

namespace gem::train {

void broadcast_model(torch::nn::Module& model, Communicator& comm) {
  if (!comm.distributed()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> state;
  for (const torch::Tensor& p : model.parameters()) state.push_back(p.detach());
  for (const torch::Tensor& b : model.buffers()) state.push_back(b.detach());
  comm.broadcast(state, 0);
}

void broadcast_buffers(torch::nn::Module& model, Communicator& comm) {
  if (!comm.distributed()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> buffers;
  for (const torch::Tensor& b : model.buffers()) buffers.push_back(b.detach());
  if (!buffers.empty()) comm.broadcast(buffers, 0);
}

int64_t broadcast_integer(int64_t value, Communicator& comm) {
  std::vector<torch::Tensor> v{torch::tensor({value}, torch::kLong)};
  comm.broadcast(v, 0);
  return v[0].item<int64_t>();
}

std::string broadcast_bytes(const std::string& bytes, Communicator& comm) {
  if (!comm.distributed()) return bytes;
  const int64_t size = broadcast_integer(static_cast<int64_t>(bytes.size()), comm);
  if (size == 0) return {};
  std::vector<torch::Tensor> v{comm.is_root()
                                   ? torch::from_blob(const_cast<char*>(bytes.data()), {size}, torch::kUInt8).clone()
                                   : torch::empty({size}, torch::kUInt8)};
  comm.broadcast(v, 0);
  if (comm.is_root()) return bytes;
  std::string out(static_cast<size_t>(size), '\0');
  std::memcpy(out.data(), v[0].data_ptr(), static_cast<size_t>(size));
  return out;
}

}  // namespace gem::train
