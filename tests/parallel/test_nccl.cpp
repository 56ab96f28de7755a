// The NCCL path: always compiled (CI has nvcc and NCCL but no GPU); run where a GPU is visible.
#include "parallel/data_parallel.h"
#include "parallel/nccl_communicator.h"
#include "parallel/self_communicator.h"
#include "parallel_test_support.h"
#include "tiny_problem.h"

namespace tetra::parallel {
namespace {

using namespace tetra::parallel::testing;

// A macro: GTEST_SKIP only leaves the function it is written in.
#define REQUIRE_GPU_AND_NCCL()                                                                       \
  do {                                                                                               \
    if (!nccl_compiled_in()) GTEST_SKIP() << "built without NCCL (CMake found none)";                \
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: the NCCL path is only compiled here"; \
  } while (0)

std::shared_ptr<Communicator> nccl_of_one() {
  SelfCommunicator bootstrap;
  auto comm = make_nccl_communicator(bootstrap, 0, "test");
  TORCH_CHECK(comm.ok(), comm.status().ToString());
  return *comm;
}

TEST(Nccl, WithoutNcclOrGpuTheErrorSaysWhy) {
  if (nccl_compiled_in()) GTEST_SKIP() << "this build has NCCL";
  SelfCommunicator bootstrap;
  auto comm = make_nccl_communicator(bootstrap, 0, "test");
  ASSERT_FALSE(comm.ok());
  EXPECT_EQ(comm.status().code(), absl::StatusCode::kFailedPrecondition) << comm.status();
  EXPECT_NE(std::string(comm.status().message()).find("no NCCL"), std::string::npos);
}

TEST(Nccl, OpsOnOneRankOnTheGpu) {
  REQUIRE_GPU_AND_NCCL();
  auto comm = nccl_of_one();
  auto cuda = torch::TensorOptions().device(torch::kCUDA, 0);
  auto t = torch::arange(6, cuda.dtype(torch::kFloat));
  comm->all_reduce(t, ReduceOp::kAvg)->wait();
  auto gathered = torch::empty({6}, cuda);
  comm->all_gather(t, gathered)->wait();
  auto scattered = torch::empty({6}, cuda);
  comm->reduce_scatter(gathered, scattered, ReduceOp::kSum)->wait();
  auto moved = torch::empty({6}, cuda);
  comm->all_to_all(scattered, {6}, moved, {6})->wait();
  comm->broadcast(moved, 0)->wait();
  comm->barrier()->wait();
  EXPECT_TRUE(moved.cpu().equal(torch::arange(6, torch::kFloat)));
}

// A data-parallel step on the GPU through NCCL gives the CPU (self/MPI) step's gradients.
TEST(Nccl, DataParallelStepOnGpuMatchesCpu) {
  REQUIRE_GPU_AND_NCCL();
  auto cpu_net = make_net(5), gpu_net = make_net(5);
  gpu_net->to(torch::kCUDA);
  auto nccl = nccl_of_one();
  auto self = std::make_shared<SelfCommunicator>();
  DataParallel cpu(*cpu_net, Group{"dp", self, self}, {});
  DataParallel gpu(*gpu_net, Group{"dp", self, nccl}, {});
  std::vector<int64_t> batch = {0, 1, 2, 3, 4};
  for (auto* run : {&cpu, &gpu}) {
    run->reducer().begin_step(1);
    run->reducer().begin_micro_step();
    std::vector<torch::Tensor> xs;
    for (auto g : batch) xs.push_back(sample_rows(g));
    TinyNet& net = run == &cpu ? cpu_net : gpu_net;
    auto x = torch::cat(xs).to(net->a->weight.device());
    (net->forward(x, false) - 0.5).pow(2).sum(-1).mean().backward();
    run->reducer().finish();
  }
  auto a = cpu_net->parameters(), b = gpu_net->parameters();
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].grad().defined()) EXPECT_TRUE(close(b[i].grad().cpu(), a[i].grad(), 1e-4, 1e-6)) << i;
}

}  // namespace
}  // namespace tetra::parallel
