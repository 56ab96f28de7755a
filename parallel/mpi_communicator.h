// MPI backend (internal: includes mpi.h, so only MPI-enabled sources include it; everyone else uses
// parallel/mpi_runtime.h). Each communicator owns a duplicated MPI_Comm and one worker thread that
// runs its collectives, blocking, in issue order: Open MPI has no asynchronous progress for
// non-blocking collectives, so a reduction started during backward would otherwise only move when
// the main thread next called into MPI. This is also how PyTorch's ProcessGroupMPI works.
#pragma once
#include <mpi.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "parallel/communicator.h"

namespace tetra::parallel::mpi {

class MpiCommunicator final : public Communicator {
 public:
  // Takes ownership of `comm` (freed when this communicator stops).
  MpiCommunicator(MPI_Comm comm, std::string name);
  ~MpiCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }
  MPI_Comm comm() const { return comm_; }
  const std::string& name() const { return name_; }

  std::shared_ptr<Work> all_reduce(const torch::Tensor& tensor, ReduceOp op) override;
  std::shared_ptr<Work> broadcast(const torch::Tensor& tensor, int root) override;
  std::shared_ptr<Work> all_gather(const torch::Tensor& input, const torch::Tensor& output) override;
  std::shared_ptr<Work> reduce_scatter(const torch::Tensor& input, const torch::Tensor& output,
                                       ReduceOp op) override;
  std::shared_ptr<Work> all_to_all(const torch::Tensor& input, const std::vector<int64_t>& send_rows,
                                   const torch::Tensor& output, const std::vector<int64_t>& recv_rows) override;
  std::shared_ptr<Work> barrier() override;

  // Runs `body` on the worker after everything queued before it (used for MPI_Comm_split, which
  // must not race this communicator's collectives).
  std::shared_ptr<Work> enqueue(std::string what, std::function<void()> body);
  // Lets queued work finish, joins the worker and frees the MPI_Comm. Idempotent.
  void stop();
  bool busy();  // work queued or running

 private:
  struct Task {
    std::function<void()> body;
    std::shared_ptr<class MpiWork> work;
  };
  void run();

  MPI_Comm comm_;
  std::string name_;
  int rank_ = 0, size_ = 1;
  int64_t issued_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool running_task_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread worker_;
};

}  // namespace tetra::parallel::mpi
