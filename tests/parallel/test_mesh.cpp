#include "parallel/mesh.h"
#include "parallel_test_support.h"

namespace tetra::parallel {
namespace {

using testing::world;

TEST(ProcessMesh, DataParallelGroupIsTheWorldWithoutExpertParallelism) {
  auto mesh = ProcessMesh::Create(world(), MeshOptions{});
  ASSERT_TRUE(mesh.ok()) << mesh.status();
  EXPECT_EQ(mesh->data_parallel().size(), world().size());
  EXPECT_EQ(mesh->data_parallel().rank(), world().rank());
  EXPECT_EQ(mesh->expert_parallel().size(), 1);
  EXPECT_TRUE(mesh->device().is_cpu());
  EXPECT_EQ(mesh->data_parallel().device.get(), mesh->data_parallel().host.get());  // CPU: one communicator
}

TEST(ProcessMesh, ExpertGroupsAreNeighboursAndDataGroupsStrided) {
  const int ep = world().size();  // the whole world is one expert group, each rank its own DP replica
  auto mesh = ProcessMesh::Create(world(), MeshOptions{ep, torch::kCPU});
  ASSERT_TRUE(mesh.ok()) << mesh.status();
  EXPECT_EQ(mesh->expert_parallel().size(), ep);
  EXPECT_EQ(mesh->expert_parallel().rank(), world().rank() % ep);
  EXPECT_EQ(mesh->data_parallel().size(), world().size() / ep);
  // Each group's members are who the layout says: gather world ranks inside the groups.
  auto& group = *mesh->expert_parallel().host;
  auto mine = torch::tensor({static_cast<int64_t>(world().rank())}, torch::kInt64);
  auto members = torch::empty({group.size()}, torch::kInt64);
  group.all_gather(mine, members)->wait();
  for (int i = 0; i < group.size(); ++i) EXPECT_EQ(members[i].item<int64_t>(), (world().rank() / ep) * ep + i);
}

TEST(ProcessMesh, ExpertSizeThatDoesNotDivideTheWorldIsRejected) {
  auto mesh = ProcessMesh::Create(world(), MeshOptions{world().size() + 1, torch::kCPU});
  ASSERT_FALSE(mesh.ok());
  EXPECT_EQ(mesh.status().code(), absl::StatusCode::kInvalidArgument) << mesh.status();
  EXPECT_NE(std::string(mesh.status().message()).find("does not divide"), std::string::npos) << mesh.status();
}

TEST(ProcessMesh, CudaWithoutAGpuSaysSo) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has a GPU";
  auto mesh = ProcessMesh::Create(world(), MeshOptions{1, torch::kCUDA});
  ASSERT_FALSE(mesh.ok());
  EXPECT_EQ(mesh.status().code(), absl::StatusCode::kFailedPrecondition) << mesh.status();
  EXPECT_NE(std::string(mesh.status().message()).find("no CUDA GPU"), std::string::npos) << mesh.status();
}

}  // namespace
}  // namespace tetra::parallel
