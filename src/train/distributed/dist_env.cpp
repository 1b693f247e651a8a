#include "src/train/distributed/dist_env.h"

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

#include "gem/quoted.h"

namespace gem::train {
namespace {

const char* variable(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

// An integer in [lo, hi] from environment variable `name`, or `fallback` when it is not set.
int integer_variable(const char* name, int fallback, long lo, long hi, const std::string& range) {
  const char* text = variable(name);
  if (text == nullptr) return fallback;
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*end != '\0' || errno == ERANGE || v < lo || v > hi)
    throw std::invalid_argument(std::string("environment variable ") + name + " must be an integer in " + range +
                                ", got " + quoted_excerpt(text));
  return static_cast<int>(v);
}

}  // namespace

std::string DistEnv::describe() const { return "rank " + std::to_string(rank) + " of " + std::to_string(world_size); }

DistEnv dist_env_from_environment() {
  DistEnv env;
  env.world_size = integer_variable("WORLD_SIZE", 1, 1, 1 << 20, "[1, 1048576]");
  env.rank = integer_variable("RANK", 0, 0, env.world_size - 1, "[0, WORLD_SIZE - 1]");
  env.local_rank = integer_variable("LOCAL_RANK", 0, 0, 1 << 20, "[0, 1048576]");
  const char* addr = variable("MASTER_ADDR");
  const bool rendezvous = addr != nullptr && variable("MASTER_PORT") != nullptr;
  if (env.world_size == 1 && !rendezvous) return env;
  if (env.world_size > 1 && (variable("RANK") == nullptr || variable("LOCAL_RANK") == nullptr))
    throw std::invalid_argument("WORLD_SIZE is " + std::to_string(env.world_size) +
                                " but RANK or LOCAL_RANK is not set: every rank needs both (torchrun and "
                                "gem-train --nproc-per-node set them; under srun export RANK=$SLURM_PROCID "
                                "LOCAL_RANK=$SLURM_LOCALID)");
  if (!rendezvous)
    throw std::invalid_argument("WORLD_SIZE is " + std::to_string(env.world_size) +
                                " but MASTER_ADDR or MASTER_PORT is not set: start the ranks with torchrun, srun "
                                "(with both exported) or gem-train --nproc-per-node");
  env.launched = variable("WORLD_SIZE") != nullptr;
  env.master_addr = addr;
  env.master_port = integer_variable("MASTER_PORT", 0, 1, 65535, "[1, 65535]");
  return env;
}

}  // namespace gem::train
