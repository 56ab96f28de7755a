// What the launcher (mpirun, srun, or nothing) says about this process. Data parallelism lands in
// its own issue; until then the trainer uses this to refuse multi-rank launches loudly instead of
// running N independent copies that overwrite one another's checkpoints.
#pragma once
#include <cstdint>
#include <string>

namespace tetra::parallel {

struct LaunchEnvironment {
  int64_t rank = 0;
  int64_t world_size = 1;
  int64_t local_rank = 0;
  std::string launcher = "none";  // "mpirun", "slurm" or "none"
};

LaunchEnvironment detect_launch_environment();

}  // namespace tetra::parallel
