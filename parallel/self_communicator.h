// The group of one process: what a run without mpirun talks to. Works for CPU and CUDA tensors
// alike (copies run on the current stream), so the trainer has one code path at every world size.
#pragma once
#include "parallel/communicator.h"

namespace tetra::parallel {

class SelfCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "self"; }
  std::shared_ptr<Work> all_reduce(const torch::Tensor& tensor, ReduceOp op) override;
  std::shared_ptr<Work> broadcast(const torch::Tensor& tensor, int root) override;
  std::shared_ptr<Work> all_gather(const torch::Tensor& input, const torch::Tensor& output) override;
  std::shared_ptr<Work> reduce_scatter(const torch::Tensor& input, const torch::Tensor& output,
                                       ReduceOp op) override;
  std::shared_ptr<Work> all_to_all(const torch::Tensor& input, const std::vector<int64_t>& send_rows,
                                   const torch::Tensor& output, const std::vector<int64_t>& recv_rows) override;
  std::shared_ptr<Work> barrier() override;
};

}  // namespace tetra::parallel
