#include "src/train/distributed/communicator.h"

// c10d's headers declare their backends only when told the build has them.
#if GEM_HAVE_GLOO
#define USE_C10D_GLOO 1
#endif
#if GEM_HAVE_NCCL
#define USE_C10D_NCCL 1
#endif

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if GEM_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#if GEM_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <stdlib.h>

#include <algorithm>
#include <functional>
#include <stdexcept>

namespace gem::train {
namespace {

class SingleProcess : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  std::string backend() const override { return "none"; }
  void all_reduce_sum(std::vector<torch::Tensor>&) override {}
  void all_reduce_max(std::vector<torch::Tensor>&) override {}
  void broadcast(std::vector<torch::Tensor>&, int) override {}
  void barrier() override {}
  double seconds_communicating() const override { return 0; }
};

std::string seconds_text(std::chrono::seconds s) { return std::to_string(s.count()) + " s"; }

// One process group of either backend: both have these calls with these signatures in LibTorch
// 1.13 and 2.x (where they are a c10d::Backend rather than a c10d::ProcessGroup).
template <class Group>
class C10dCommunicator : public Communicator {
 public:
  C10dCommunicator(c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<Group> group, const DistEnv& env,
                   std::string backend, std::chrono::seconds timeout)
      : store_(std::move(store)),
        group_(std::move(group)),
        env_(env),
        backend_(std::move(backend)),
        timeout_seconds_(timeout),
        timeout_(timeout) {}

  int rank() const override { return env_.rank; }
  int size() const override { return env_.world_size; }
  int local_rank() const override { return env_.local_rank; }
  std::string backend() const override { return backend_; }

  void all_reduce_sum(std::vector<torch::Tensor>& tensors) override { all_reduce(tensors, c10d::ReduceOp::SUM); }
  void all_reduce_max(std::vector<torch::Tensor>& tensors) override { all_reduce(tensors, c10d::ReduceOp::MAX); }

  void broadcast(std::vector<torch::Tensor>& tensors, int root) override {
    c10d::BroadcastOptions options;
    options.rootRank = root;
    options.timeout = timeout_;
    run("broadcast", tensors, [&](std::vector<torch::Tensor>& one) { return group_->broadcast(one, options); });
  }

  void barrier() override {
    c10d::BarrierOptions options;
    options.timeout = timeout_;
    if (backend_ == "nccl") options.device_ids = {env_.local_rank};
    guarded("barrier", [&] { group_->barrier(options)->wait(); });
  }

 private:
  void all_reduce(std::vector<torch::Tensor>& tensors, c10d::ReduceOp op) {
    c10d::AllreduceOptions options;
    options.reduceOp = op;
    options.timeout = timeout_;
    run("all-reduce", tensors, [&](std::vector<torch::Tensor>& one) { return group_->allreduce(one, options); });
  }

  // Starts `start` on each tensor (a c10d call takes a list that it treats as one buffer per
  // device, so each of ours is a list of one), then waits for all of them.
  // Each tensor travels as the backend takes it (dense; on the CPU for Gloo, on this rank's GPU
  // for NCCL) and what comes back is copied into the caller's tensor where that was a copy.
  template <class Start>
  void run(const char* what, std::vector<torch::Tensor>& tensors, const Start& start) {
    guarded(what, [&] {
      std::vector<std::vector<torch::Tensor>> lists;
      lists.reserve(tensors.size());
      std::vector<c10::intrusive_ptr<c10d::Work>> works;
      for (torch::Tensor& t : tensors) {
        lists.push_back({as_backend_takes(t)});
        works.push_back(start(lists.back()));
      }
      for (auto& w : works) w->wait(timeout_);
      for (size_t i = 0; i < tensors.size(); ++i)
        if (!lists[i][0].is_same(tensors[i])) tensors[i].copy_(lists[i][0]);
    });
  }

  torch::Tensor as_backend_takes(const torch::Tensor& t) const {
    if (backend_ == "nccl")
      return t.to(torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env_.local_rank))).contiguous();
    return t.is_cuda() ? t.cpu().contiguous() : t.contiguous();
  }

  double seconds_communicating() const override { return seconds_; }

  template <class F>
  void guarded(const char* what, const F& f) {
    const auto start = std::chrono::steady_clock::now();
    try {
      f();
      seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } catch (const std::exception& e) {
      throw std::runtime_error(env_.describe() + ": the " + what + " over " + std::to_string(env_.world_size) +
                               " ranks (" + backend_ + ") failed: another rank died, or did not answer within " +
                               seconds_text(timeout_seconds_) +
                               " (--dist-timeout); its own message says why. c10d: " + first_line(e.what()));
    }
  }

  static std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<Group> group_;
  DistEnv env_;
  std::string backend_;
  std::chrono::seconds timeout_seconds_;
  std::chrono::milliseconds timeout_;
  double seconds_ = 0;
};

std::string pick_backend(const CommunicatorOptions& o) {
  const std::vector<std::string> have = available_backends();
  const auto has = [&](const std::string& b) { return std::find(have.begin(), have.end(), b) != have.end(); };
  std::string choice = o.backend;
  if (choice == "auto") choice = o.cuda && has("nccl") ? "nccl" : "gloo";
  if (choice != "gloo" && choice != "nccl")
    throw std::invalid_argument("--dist-backend must be auto, gloo or nccl, got '" + o.backend + "'");
  if (!has(choice)) {
    std::string list;
    for (const auto& b : have) list += (list.empty() ? "" : ", ") + b;
    throw std::runtime_error("this gem-train's LibTorch has no " + choice +
                             " backend (it has: " + (list.empty() ? std::string("none") : list) + ")");
  }
  if (choice == "nccl" && !o.cuda) throw std::invalid_argument("--dist-backend nccl needs --device cuda");
  return choice;
}

c10::intrusive_ptr<c10d::Store> rendezvous(const DistEnv& env, std::chrono::seconds timeout) {
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(env.master_port);
  opts.isServer = env.rank == 0;
  opts.numWorkers = static_cast<std::size_t>(env.world_size);
  opts.waitWorkers = true;
  opts.timeout = timeout;
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  try {
    return c10::make_intrusive<c10d::TCPStore>(env.master_addr, opts);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    std::string cause = env.rank == 0 ? "rank 0 could not serve the rendezvous at " + where +
                                            " (is the port in use? choose another MASTER_PORT), or not all " +
                                            std::to_string(env.world_size) + " ranks arrived within " +
                                            seconds_text(timeout) + " (is WORLD_SIZE right on every rank?)"
                                      : "could not reach rank 0's rendezvous at " + where + " within " +
                                            seconds_text(timeout) + " (is MASTER_ADDR right, and rank 0 running?)";
    throw std::runtime_error(env.describe() + ": " + cause + ". c10d: " + what.substr(0, what.find('\n')));
  }
}

}  // namespace

std::shared_ptr<Communicator> single_process() { return std::make_shared<SingleProcess>(); }

std::vector<std::string> available_backends() {
  std::vector<std::string> b;
#if GEM_HAVE_GLOO
  b.push_back("gloo");
#endif
#if GEM_HAVE_NCCL
  b.push_back("nccl");
#endif
  return b;
}

std::shared_ptr<Communicator> join_job(const DistEnv& env, const CommunicatorOptions& o) {
  if (!env.distributed()) return single_process();
  const std::string backend = pick_backend(o);
  const c10::intrusive_ptr<c10d::Store> store = rendezvous(env, o.timeout);
  const std::chrono::milliseconds timeout = o.timeout;
  try {
#if GEM_HAVE_GLOO
    if (backend == "gloo") {
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      const bool loopback = env.master_addr == "127.0.0.1" || env.master_addr == "localhost";
      options->devices.push_back(loopback ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                          : c10d::ProcessGroupGloo::createDefaultDevice());
      auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, options);
      return std::make_shared<C10dCommunicator<c10d::ProcessGroupGloo>>(store, group, env, backend, o.timeout);
    }
#endif
#if GEM_HAVE_NCCL
    if (backend == "nccl") {
      // Without these NCCL's waits only order the GPU's streams: a dead or hung peer would block
      // the host forever. With them a collective throws after the timeout, as Gloo's does.
      ::setenv("NCCL_BLOCKING_WAIT", "1", 0);
      ::setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      auto group = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world_size, options);
      return std::make_shared<C10dCommunicator<c10d::ProcessGroupNCCL>>(store, group, env, backend, o.timeout);
    }
#endif
  } catch (const std::exception& e) {
    const std::string what = e.what();
    throw std::runtime_error(
        env.describe() + ": not all " + std::to_string(env.world_size) + " ranks joined the " + backend +
        " process group within " + seconds_text(o.timeout) +
        " (is every rank started, with the same WORLD_SIZE?). c10d: " + what.substr(0, what.find('\n')));
  }
  throw std::runtime_error("no " + backend + " backend in this build");
}

}  // namespace gem::train
