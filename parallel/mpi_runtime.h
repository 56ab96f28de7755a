// The MPI runtime, behind a header without mpi.h so that the rest of Tetra compiles the same with or
// without MPI. Builds without MPI link mpi_unavailable.cpp instead, whose start() explains how to
// get it; such a build trains in one process only.
//
// MPI is started only when a launcher (mpirun, srun) started this process: Open MPI's singleton
// init forks a helper daemon and fails in some containers, and a plain `tetra-train` must not
// depend on any of that (parallel/world.h decides).
#pragma once
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "parallel/communicator.h"

namespace tetra::parallel::mpi {

bool compiled_in();
bool started();

// MPI_Init_thread asking for MPI_THREAD_MULTIPLE (every communicator runs its collectives on its
// own thread). Idempotent. Registers MPI_Finalize to run at exit, after every communicator thread
// has been stopped.
absl::Status start();

struct Placement {
  int rank = 0;
  int size = 1;
  int local_rank = 0;  // among the ranks on this node (MPI_COMM_TYPE_SHARED)
  int local_size = 1;
  std::string host;
};
Placement placement();  // after start()

// All ranks (a duplicate of MPI_COMM_WORLD), CPU tensors.
std::shared_ptr<Communicator> world();
// MPI_Comm_split of an MPI communicator: ranks with the same color form a group, ordered by key.
// Collective over `parent`'s group; `name` appears in error reports.
std::shared_ptr<Communicator> split(Communicator& parent, int color, int key, const std::string& name);

// Ends every rank of the job (MPI_Abort): used when one rank fails alone, so that the others do not
// wait forever in their next collective.
[[noreturn]] void abort(int exit_code);

// Seconds a rank waits for one collective before it reports the op and aborts the job; 0 waits
// forever. A dead or stuck rank, or ranks issuing different collectives, then end the run with a
// message instead of a silent hang.
void set_timeout_seconds(double seconds);

}  // namespace tetra::parallel::mpi
