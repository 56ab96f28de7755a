#include "parallel/launch_env.h"

#include <cstdlib>

namespace tetra::parallel {
namespace {

bool read_int(const char* name, int64_t* out) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return false;
  char* end = nullptr;
  long long parsed = std::strtoll(v, &end, 10);
  if (*end != '\0') return false;
  *out = parsed;
  return true;
}

}  // namespace

LaunchEnvironment detect_launch_environment() {
  LaunchEnvironment env;
  if (read_int("OMPI_COMM_WORLD_SIZE", &env.world_size)) {
    env.launcher = "mpirun";
    read_int("OMPI_COMM_WORLD_RANK", &env.rank);
    read_int("OMPI_COMM_WORLD_LOCAL_RANK", &env.local_rank);
  } else if (read_int("SLURM_STEP_NUM_TASKS", &env.world_size)) {
    env.launcher = "slurm";
    read_int("SLURM_PROCID", &env.rank);
    read_int("SLURM_LOCALID", &env.local_rank);
  }
  return env;
}

}  // namespace tetra::parallel
