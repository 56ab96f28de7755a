// This process's place in the job, started once per process.
//
// Under a launcher (mpirun, srun: parallel/launch_env.h) World starts MPI, checks that MPI sees as
// many ranks as the launcher started, and finds the local rank among the ranks of this node.
// Without one it is a world of one and MPI is never initialised, so `tetra-train` alone needs no
// MPI daemon, no hostfile and no network.
#pragma once
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "parallel/communicator.h"

namespace tetra::parallel {

class World {
 public:
  // The process-wide world (MPI allows one initialisation per process). Errors explain what the
  // launcher and MPI disagree about.
  static absl::StatusOr<World*> Get();

  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_rank() const { return local_rank_; }  // among this node's ranks: picks the GPU
  int local_size() const { return local_size_; }
  const std::string& launcher() const { return launcher_; }  // "mpirun", "slurm" or "none"
  const std::string& host() const { return host_; }
  // "rank 2/8" for messages; empty in a world of one.
  std::string label() const;

  // All ranks, CPU tensors (MPI, or the self communicator in a world of one).
  std::shared_ptr<Communicator> communicator() const { return communicator_; }
  // A CPU sub-group (MPI_Comm_split semantics); collective over every rank.
  std::shared_ptr<Communicator> split(int color, int key, const std::string& name) const;

  // Ends this process, and under MPI every other rank too (MPI_Abort): the way out when one rank
  // fails on its own and the others would otherwise wait for it forever.
  [[noreturn]] void abort(int exit_code) const;

 private:
  World() = default;
  absl::Status init();
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  std::string launcher_ = "none";
  std::string host_;
  std::shared_ptr<Communicator> communicator_;
};

}  // namespace tetra::parallel
