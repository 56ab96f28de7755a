// The process mesh: named groups of ranks, in the spirit of Megatron's process groups.
//
// Ranks form a (data-parallel x expert-parallel) grid with the expert index fastest, so the ranks of
// one expert group are neighbours (one node) and data-parallel replicas are strided:
//   world rank = dp_index * ep + ep_index
// Today ep = 1 and the data-parallel group is the whole world; the expert-parallel issue only has to
// pass ep > 1 to get its groups.
#pragma once
#include <torch/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "parallel/communicator.h"
#include "parallel/world.h"

namespace tetra::parallel {

struct Group {
  std::string name;
  std::shared_ptr<Communicator> host;    // CPU tensors: MPI, or self for a group of one
  std::shared_ptr<Communicator> device;  // tensors on the training device: NCCL for CUDA, else == host
  int rank() const { return host->rank(); }
  int size() const { return host->size(); }
};

struct MeshOptions {
  int expert_parallel = 1;                      // ranks per expert group; must divide the world
  torch::DeviceType device = torch::kCPU;       // CUDA: one GPU per rank, chosen by local rank
};

class ProcessMesh {
 public:
  // Collective over every rank of `world`. Errors name what does not fit (world size, GPU count).
  static absl::StatusOr<ProcessMesh> Create(const World& world, const MeshOptions& options);

  const Group& world() const { return world_; }
  const Group& data_parallel() const { return dp_; }
  const Group& expert_parallel() const { return ep_; }
  torch::Device device() const { return device_; }

 private:
  Group world_, dp_, ep_;
  torch::Device device_{torch::kCPU};
};

}  // namespace tetra::parallel
