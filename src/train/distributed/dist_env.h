// Where this process stands in a data-parallel job, read from the environment torchrun sets
// (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT); Slurm's srun, `gem-train
// --nproc-per-node` and any launcher that sets the same variables work alike. With none of them
// set, the process is the whole job (rank 0 of 1).
#pragma once

#include <cstdint>
#include <string>

namespace gem::train {

struct DistEnv {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;  // torchrun's default

  bool launched = false;  // WORLD_SIZE, MASTER_ADDR and MASTER_PORT are set

  /// A job of processes: more than one rank, or a launcher's one rank (its collectives run, so
  /// their cost can be measured against a plain run).
  bool distributed() const { return world_size > 1 || launched; }
  /// "rank 1 of 2" (for messages).
  std::string describe() const;
};

/// The job this process belongs to. Throws std::invalid_argument naming the variable when one is
/// malformed (not an integer, a rank outside [0, WORLD_SIZE), a port outside [1, 65535]), or when
/// WORLD_SIZE > 1 comes without MASTER_ADDR and MASTER_PORT. WORLD_SIZE=1 without them is a
/// plain single process.
DistEnv dist_env_from_environment();

}  // namespace gem::train
