// The ranks of a data-parallel job and the collectives the trainer needs of them. c10d does the
// work (communicator.cpp: TCPStore for the rendezvous, ProcessGroupGloo on CPU, ProcessGroupNCCL
// on CUDA where LibTorch has it); a single process is rank 0 of 1 and every collective a no-op.
//
// Every rank calls the same collectives in the same order with tensors of the same shapes. A
// collective that cannot finish (a rank died, or hangs past the timeout) throws
// std::runtime_error naming this rank and the cause; it never hangs for longer than the timeout.
#pragma once

#include <torch/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "src/train/distributed/dist_env.h"

namespace gem::train {

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual int local_rank() const = 0;
  /// "gloo" or "nccl" ("none" for one process).
  virtual std::string backend() const = 0;

  /// Each tensor summed over the ranks, in place (one all-reduce per tensor, all started before
  /// the first is waited for).
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;
  /// Each tensor's elementwise maximum over the ranks, in place.
  virtual void all_reduce_max(std::vector<torch::Tensor>& tensors) = 0;
  /// Each tensor replaced by rank `root`'s.
  virtual void broadcast(std::vector<torch::Tensor>& tensors, int root) = 0;
  /// Returns once every rank has called it.
  virtual void barrier() = 0;
  /// Seconds this rank has spent in collectives so far (waiting for the others included).
  virtual double seconds_communicating() const = 0;

  bool is_root() const { return rank() == 0; }
  /// "rank 1 of 2" (for messages), as DistEnv::describe says it.
  std::string describe() const { return DistEnv{rank(), size()}.describe(); }
  /// True for a c10d process group (even of one rank, as torchrun --nproc-per-node 1 makes: its
  /// collectives really run), false for single_process().
  bool distributed() const { return backend() != "none"; }
};

/// Rank 0 of 1: every collective returns at once.
std::shared_ptr<Communicator> single_process();

/// How the ranks meet and talk.
struct CommunicatorOptions {
  std::string backend = "auto";       // auto (nccl on CUDA when LibTorch has it, else gloo), gloo, nccl
  bool cuda = false;                  // the tensors live on the GPU of LOCAL_RANK
  std::chrono::seconds timeout{300};  // for the rendezvous and for every collective
};

/// Joins the job `env` describes (all of its ranks must do the same): the rendezvous at
/// MASTER_ADDR:MASTER_PORT (rank 0 serves it), then the process group. Throws
/// std::runtime_error with what went wrong: the port in use, MASTER_ADDR not reachable, ranks
/// missing after the timeout, a backend this LibTorch lacks.
std::shared_ptr<Communicator> join_job(const DistEnv& env, const CommunicatorOptions& options);

/// The backends this build can use ("gloo", "nccl"), for messages and --help.
std::vector<std::string> available_backends();

}  // namespace gem::train
