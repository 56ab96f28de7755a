// NCCL backend for CUDA tensors. Each communicator has its own CUDA stream: an op first makes that
// stream wait for the caller's current stream (an event, no host sync), runs there, and its Work's
// wait() makes the caller's current stream wait in turn. The host never blocks except in barrier().
// Compiled when CMake found NCCL (TETRA_WITH_NCCL); other builds get an error that says so.
#pragma once
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "parallel/communicator.h"

namespace tetra::parallel {

bool nccl_compiled_in();

// Every rank of `bootstrap`'s group calls this together. Rank 0 of the group makes the NCCL unique
// id and `bootstrap` (a CPU communicator over the same ranks, usually MPI) broadcasts it; then each
// rank joins on CUDA device `device`.
absl::StatusOr<std::shared_ptr<Communicator>> make_nccl_communicator(Communicator& bootstrap, int device,
                                                                     const std::string& name);

}  // namespace tetra::parallel
