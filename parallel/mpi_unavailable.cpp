// Linked instead of mpi_runtime.cpp and mpi_communicator.cpp when CMake found no MPI: such a build
// trains in one process, and a launch under mpirun stops with this explanation.
#include <cstdlib>
#include <iostream>

#include "parallel/mpi_runtime.h"

namespace tetra::parallel::mpi {

bool compiled_in() { return false; }
bool started() { return false; }

absl::Status start() {
  return absl::FailedPreconditionError(
      "this build of Tetra has no MPI, so it cannot run as several ranks: install Open MPI "
      "(apt-get install libopenmpi-dev) and rebuild, or run without mpirun/srun");
}

Placement placement() { return {}; }

// Never reached: start() fails first, so nobody holds an MPI world to split.
std::shared_ptr<Communicator> world() {
  TORCH_CHECK(false, "this build has no MPI (see mpi::start())");
  return nullptr;
}

std::shared_ptr<Communicator> split(Communicator&, int, int, const std::string&) {
  TORCH_CHECK(false, "this build has no MPI (see mpi::start())");
  return nullptr;
}

void abort(int exit_code) {
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(exit_code);
}

void set_timeout_seconds(double) {}

}  // namespace tetra::parallel::mpi
