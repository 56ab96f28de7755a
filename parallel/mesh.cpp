#include "parallel/mesh.h"

#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/cuda.h>

#include "absl/strings/str_cat.h"
#include "parallel/nccl_communicator.h"
#include "parallel/self_communicator.h"

namespace tetra::parallel {
namespace {

absl::StatusOr<torch::Device> pick_device(const World& world, torch::DeviceType type) {
  if (type == torch::kCPU) return torch::Device(torch::kCPU);
  const int gpus = static_cast<int>(torch::cuda::device_count());
  if (gpus == 0) return absl::FailedPreconditionError("run.device is 'cuda' but no CUDA GPU is visible; use --set run.device=cpu");
  if (world.local_size() > gpus)
    return absl::FailedPreconditionError(absl::StrCat(
        world.local_size(), " ranks run on ", world.host(), " but it has ", gpus,
        " GPUs: start one rank per GPU (mpirun -np <GPUs per node x nodes>, or srun --ntasks-per-node=<GPUs>)"));
  const torch::Device device(torch::kCUDA, static_cast<c10::DeviceIndex>(world.local_rank()));
  // The current device of the calling thread, as torch.cuda.set_device(local_rank) in PyTorch:
  // tensors made without an explicit index land on this rank's GPU, not on GPU 0.
  c10::impl::getDeviceGuardImpl(torch::kCUDA)->setDevice(device);
  return device;
}

// The device-side communicator of a group: NCCL for CUDA groups. A process started without a
// launcher needs no NCCL for its group of one (self copies work on any device); under mpirun/srun
// even a group of one uses NCCL, so `mpirun -np 1` runs the NCCL path on one GPU.
absl::StatusOr<std::shared_ptr<Communicator>> device_communicator(const World& world,
                                                                  const std::shared_ptr<Communicator>& host,
                                                                  torch::Device device, const std::string& name) {
  if (device.is_cpu() || (host->size() == 1 && world.launcher() == "none")) return host;
  return make_nccl_communicator(*host, device.index(), name);
}

absl::StatusOr<Group> make_group(const World& world, std::string name, std::shared_ptr<Communicator> host,
                                 torch::Device device) {
  auto dev = device_communicator(world, host, device, name);
  if (!dev.ok()) return dev.status();
  return Group{std::move(name), std::move(host), *dev};
}

}  // namespace

absl::StatusOr<ProcessMesh> ProcessMesh::Create(const World& world, const MeshOptions& options) {
  const int ep = options.expert_parallel;
  if (ep < 1 || world.size() % ep != 0)
    return absl::InvalidArgumentError(absl::StrCat("expert-parallel size ", ep, " does not divide the world of ",
                                                   world.size(), " ranks"));
  auto device = pick_device(world, options.device);
  if (!device.ok()) return device.status();
  ProcessMesh mesh;
  mesh.device_ = *device;
  const int dp_index = world.rank() / ep, ep_index = world.rank() % ep;
  auto whole = make_group(world, "world", world.communicator(), *device);
  if (!whole.ok()) return whole.status();
  mesh.world_ = *whole;
  if (ep == 1) {  // the data-parallel group is the world; each rank is its own expert group
    mesh.dp_ = Group{"data_parallel", mesh.world_.host, mesh.world_.device};
    auto self = std::make_shared<SelfCommunicator>();
    mesh.ep_ = Group{"expert_parallel", self, self};
    return mesh;
  }
  // Splits are collective over the world, so every rank makes both, in this order.
  auto dp = make_group(world, "data_parallel", world.split(ep_index, dp_index, "data_parallel"), *device);
  if (!dp.ok()) return dp.status();
  auto expert = make_group(world, "expert_parallel", world.split(dp_index, ep_index, "expert_parallel"), *device);
  if (!expert.ok()) return expert.status();
  mesh.dp_ = *dp;
  mesh.ep_ = *expert;
  return mesh;
}

}  // namespace tetra::parallel
