// What the launcher (mpirun, srun, or nothing) says about this process, read from its environment
// before MPI is touched: parallel/world.h starts MPI only when a launcher is present, and then
// checks that MPI agrees.
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

// mpirun (Open MPI: OMPI_COMM_WORLD_*), or a SLURM job step started by srun (SLURM_STEP_NUM_TASKS,
// SLURM_PROCID, SLURM_LOCALID). An sbatch script itself is not a step: a tetra-train started there
// without srun is a world of one, whatever SLURM_NTASKS says.
LaunchEnvironment detect_launch_environment();

}  // namespace tetra::parallel
