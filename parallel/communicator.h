// Collective communication over a group of ranks: one interface, three backends.
//
//   MpiCommunicator   CPU tensors between processes (mpirun / srun); CPU runs and CI.
//   NcclCommunicator  CUDA tensors, on the communicator's own CUDA stream.
//   SelfCommunicator  a group of one process: every op is a local copy or nothing.
//
// Every op is asynchronous and returns a Work. Work::wait() makes the result visible to what comes
// after it: the host for MPI, the caller's current CUDA stream for NCCL (the host is not blocked).
// Ops on one communicator run in the order they were issued, and every rank of the group must issue
// the same ops in the same order, as in MPI: that is what lets the gradient reducer overlap
// reductions with backward without ever mismatching them.
#pragma once
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace tetra::parallel {

enum class ReduceOp { kSum, kAvg, kMax, kMin };

class Work {
 public:
  virtual ~Work() = default;
  // Blocks (MPI) or orders the current stream after the op (NCCL). Communication failures abort the
  // job (MPI_ERRORS_ARE_FATAL, NCCL errors), so there is nothing to return.
  virtual void wait() = 0;
  virtual bool completed() = 0;  // non-blocking probe
};

// A Work that is done when it is made (self communicator, empty ops).
class CompletedWork final : public Work {
 public:
  void wait() override {}
  bool completed() override { return true; }
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;  // "mpi", "nccl" or "self"

  // In place on every rank.
  virtual std::shared_ptr<Work> all_reduce(const torch::Tensor& tensor, ReduceOp op) = 0;
  virtual std::shared_ptr<Work> broadcast(const torch::Tensor& tensor, int root) = 0;
  // output holds size() * input.numel() elements: rank r's input lands at [r * n, (r + 1) * n).
  virtual std::shared_ptr<Work> all_gather(const torch::Tensor& input, const torch::Tensor& output) = 0;
  // input holds size() * output.numel() elements; rank r gets the reduction of every rank's r-th chunk.
  virtual std::shared_ptr<Work> reduce_scatter(const torch::Tensor& input, const torch::Tensor& output,
                                               ReduceOp op) = 0;
  // Variable splits along dim 0: the first send_rows[0] rows of input go to rank 0, the next
  // send_rows[1] to rank 1, ...; output receives recv_rows[r] rows from rank r, in rank order.
  // Rows have the same shape and dtype everywhere (the expert-parallel token dispatch).
  virtual std::shared_ptr<Work> all_to_all(const torch::Tensor& input, const std::vector<int64_t>& send_rows,
                                           const torch::Tensor& output,
                                           const std::vector<int64_t>& recv_rows) = 0;
  virtual std::shared_ptr<Work> barrier() = 0;
};

// Argument checks shared by the backends: they throw c10::Error naming the op and what is wrong,
// before anything is queued, so a bad call fails on the calling rank instead of hanging the group.
namespace check {
void dense(const char* op, const torch::Tensor& t);
void all_gather(const Communicator& c, const torch::Tensor& input, const torch::Tensor& output);
void reduce_scatter(const Communicator& c, const torch::Tensor& input, const torch::Tensor& output);
// Returns the number of elements in one row.
int64_t all_to_all(const Communicator& c, const torch::Tensor& input, const std::vector<int64_t>& send_rows,
                   const torch::Tensor& output, const std::vector<int64_t>& recv_rows);
void root(const Communicator& c, int root);
void averageable(const char* op, const torch::Tensor& t, ReduceOp reduce);
}  // namespace check

// Every rank's rows of a [rows, ...] tensor, concatenated in rank order, where ranks may hold
// different row counts (token-budget batches): counts go through `host`, the rows through `device`
// (padded to the longest). Blocking. `first_row` is where this rank's rows start in `all`.
struct GatheredRows {
  torch::Tensor all;
  int64_t first_row = 0;
};
GatheredRows all_gather_rows(Communicator& host, Communicator& device, const torch::Tensor& local);
// The same when every rank's row count is already known (`counts`, one per rank): no count exchange.
GatheredRows all_gather_rows(Communicator& device, const torch::Tensor& local, const std::vector<int64_t>& counts);

// Blocking conveniences for setup code (not the hot path).
std::vector<std::string> all_gather_strings(Communicator& comm, const std::string& mine);
std::string broadcast_string(Communicator& comm, const std::string& text, int root);
int64_t all_reduce_int(Communicator& comm, int64_t value, ReduceOp op);

std::string to_string(ReduceOp op);

}  // namespace tetra::parallel
