#include "parallel/self_communicator.h"

#include <torch/torch.h>

namespace tetra::parallel {
namespace {

std::shared_ptr<Work> done() { return std::make_shared<CompletedWork>(); }

// With one rank the reduction of a tensor is the tensor itself, for every op.
void copy_flat(const torch::Tensor& from, const torch::Tensor& to) {
  torch::NoGradGuard no_grad;
  to.view(-1).copy_(from.view(-1));
}

}  // namespace

std::shared_ptr<Work> SelfCommunicator::all_reduce(const torch::Tensor& tensor, ReduceOp op) {
  check::dense("all_reduce", tensor);
  check::averageable("all_reduce", tensor, op);
  return done();
}

std::shared_ptr<Work> SelfCommunicator::broadcast(const torch::Tensor& tensor, int root) {
  check::dense("broadcast", tensor);
  check::root(*this, root);
  return done();
}

std::shared_ptr<Work> SelfCommunicator::all_gather(const torch::Tensor& input, const torch::Tensor& output) {
  check::all_gather(*this, input, output);
  copy_flat(input, output);
  return done();
}

std::shared_ptr<Work> SelfCommunicator::reduce_scatter(const torch::Tensor& input, const torch::Tensor& output,
                                                       ReduceOp op) {
  check::reduce_scatter(*this, input, output);
  check::averageable("reduce_scatter", input, op);
  copy_flat(input, output);
  return done();
}

std::shared_ptr<Work> SelfCommunicator::all_to_all(const torch::Tensor& input, const std::vector<int64_t>& send_rows,
                                                   const torch::Tensor& output,
                                                   const std::vector<int64_t>& recv_rows) {
  check::all_to_all(*this, input, send_rows, output, recv_rows);
  TORCH_CHECK(send_rows[0] == recv_rows[0], "all_to_all: a group of one sends ", send_rows[0],
              " rows to itself but expects to receive ", recv_rows[0]);
  copy_flat(input, output);
  return done();
}

std::shared_ptr<Work> SelfCommunicator::barrier() { return done(); }

}  // namespace tetra::parallel
