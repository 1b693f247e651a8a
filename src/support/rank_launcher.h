// `gem-train --nproc-per-node N`: N local copies of a command, each told its place in the job by
// torchrun's environment variables (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT), as torchrun --standalone would start them. The job is all of them or none: when
// one rank fails (exits non-zero, or is killed), the others are stopped and no process is left.
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

namespace gem::support {

struct RankLaunch {
  std::vector<std::string> argv;          // argv[0] a path to the executable
  int ranks = 1;                          // processes, ranks 0 .. ranks - 1
  std::string master_addr = "127.0.0.1";  // where rank 0 serves the rendezvous
  int master_port = 0;                    // 0: a free port of master_addr, chosen here
  std::chrono::seconds grace{10};         // after a failure: SIGTERM, then SIGKILL this much later
  std::chrono::seconds rank0_window{5};   // another rank failed first: rank 0 may end by itself
};

/// Runs the ranks (standard output and error shared with this process) and waits for all of
/// them. Returns 0 when every rank exited 0; else rank 0's status if it failed, else the first
/// failure's (128 + signal when killed), after saying on `err` which rank failed first and how. SIGINT and SIGTERM sent
/// to this process reach every rank; a rank outlives this process by no more than the kernel's SIGKILL
/// (PR_SET_PDEATHSIG). Throws std::runtime_error when a rank cannot be started.
int launch_ranks(const RankLaunch& launch, std::ostream& err);

/// A TCP port of `addr` that was free a moment ago (bound to port 0 and released).
int free_tcp_port(const std::string& addr);

}  // namespace gem::support
