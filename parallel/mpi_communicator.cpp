#include "parallel/mpi_communicator.h"

#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <iostream>

#include "parallel/mpi_runtime.h"

namespace tetra::parallel::mpi {

std::atomic<double> g_timeout_seconds{0.0};

void set_timeout_seconds(double seconds) { g_timeout_seconds = seconds; }

class MpiWork final : public Work {
 public:
  explicit MpiWork(std::string what) : what_(std::move(what)) {}

  void wait() override {
    std::unique_lock<std::mutex> lock(mu_);
    const double timeout = g_timeout_seconds.load();
    if (timeout <= 0) {
      cv_.wait(lock, [&] { return done_; });
    } else if (!cv_.wait_for(lock, std::chrono::duration<double>(timeout), [&] { return done_; })) {
      std::cerr << "tetra: " << what_ << " has not completed after " << timeout
                << " s (parallel.timeout_s): another rank is dead, stuck, or issued different collectives. "
                   "Aborting the job."
                << std::endl;
      abort(3);
    }
    if (error_) std::rethrow_exception(error_);
  }

  bool completed() override {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }

  void finish(std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::move(error);
    done_ = true;
    cv_.notify_all();
  }

 private:
  std::string what_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::exception_ptr error_;
};

namespace {

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kAvg: return MPI_SUM;  // the average divides afterwards
    case ReduceOp::kMax: return MPI_MAX;
    case ReduceOp::kMin: return MPI_MIN;
  }
  return MPI_SUM;
}

// MPI has no 16-bit float types: those reduce in fp32 (see reduce_in_place).
bool needs_fp32(const torch::Tensor& t) {
  return t.scalar_type() == torch::kHalf || t.scalar_type() == torch::kBFloat16;
}

MPI_Datatype mpi_type(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat: return MPI_FLOAT;
    case torch::kDouble: return MPI_DOUBLE;
    case torch::kInt64: return MPI_INT64_T;
    case torch::kInt32: return MPI_INT32_T;
    case torch::kInt16: return MPI_INT16_T;
    case torch::kInt8: return MPI_INT8_T;
    case torch::kUInt8: return MPI_UINT8_T;
    case torch::kBool: return MPI_C_BOOL;
    default: TORCH_CHECK(false, "MPI communicator: cannot reduce tensors of type ", type);
  }
}

int count_of(int64_t n, const char* op) {
  TORCH_CHECK(n <= INT_MAX, op, ": ", n, " elements exceed MPI's int count; use smaller buckets");
  return static_cast<int>(n);
}

int bytes_of(const torch::Tensor& t, const char* op) { return count_of(t.numel() * t.element_size(), op); }

void cpu_only(const char* op, const torch::Tensor& t) {
  TORCH_CHECK(t.device().is_cpu(), op, ": the MPI communicator moves CPU tensors; ", t.device(),
              " tensors go through NCCL (run.device=cuda with a build that found NCCL)");
}

std::string describe(const char* op, const torch::Tensor& t) {
  return std::string(op) + " of " + std::to_string(t.numel()) + " x " + c10::toString(t.scalar_type());
}

// In-place reduction of `t` with MPI_Allreduce (buffer == nullptr) or MPI_Reduce_scatter_block
// into `out`; 16-bit floats go through an fp32 copy.
void reduce_in_place(MPI_Comm comm, int size, const torch::Tensor& t, ReduceOp op) {
  torch::Tensor work = needs_fp32(t) ? t.to(torch::kFloat) : t;
  MPI_Allreduce(MPI_IN_PLACE, work.data_ptr(), count_of(work.numel(), "all_reduce"), mpi_type(work.scalar_type()),
                mpi_op(op), comm);
  if (op == ReduceOp::kAvg) work.div_(size);
  if (!work.is_same(t)) t.copy_(work);
}

void reduce_scatter_into(MPI_Comm comm, int size, const torch::Tensor& in, const torch::Tensor& out, ReduceOp op) {
  torch::Tensor send = needs_fp32(in) ? in.to(torch::kFloat) : in;
  torch::Tensor recv = needs_fp32(out) ? torch::empty(out.sizes(), out.options().dtype(torch::kFloat)) : out;
  MPI_Reduce_scatter_block(send.data_ptr(), recv.data_ptr(), count_of(recv.numel(), "reduce_scatter"),
                           mpi_type(send.scalar_type()), mpi_op(op), comm);
  if (op == ReduceOp::kAvg) recv.div_(size);
  if (!recv.is_same(out)) out.copy_(recv);
}

std::mutex g_registry_mu;
std::vector<MpiCommunicator*> g_registry;

}  // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm comm, std::string name) : comm_(comm), name_(std::move(name)) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  worker_ = std::thread([this] { run(); });
  std::lock_guard<std::mutex> lock(g_registry_mu);
  g_registry.push_back(this);
}

MpiCommunicator::~MpiCommunicator() {
  stop();
  std::lock_guard<std::mutex> lock(g_registry_mu);
  g_registry.erase(std::remove(g_registry.begin(), g_registry.end(), this), g_registry.end());
}

void MpiCommunicator::run() {
  while (true) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      running_task_ = true;
    }
    std::exception_ptr error;
    try {
      torch::NoGradGuard no_grad;
      task.body();
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_task_ = false;
    }
    task.work->finish(error);
  }
}

std::shared_ptr<Work> MpiCommunicator::enqueue(std::string what, std::function<void()> body) {
  std::lock_guard<std::mutex> lock(mu_);
  TORCH_CHECK(!stopping_, "MPI communicator '", name_, "' is stopped (MPI already finalized?)");
  auto work = std::make_shared<MpiWork>("rank " + std::to_string(rank_) + "/" + std::to_string(size_) + ": " +
                                        what + " (collective #" + std::to_string(++issued_) + " on '" + name_ +
                                        "')");
  queue_.push_back({std::move(body), work});
  cv_.notify_one();
  return work;
}

bool MpiCommunicator::busy() {
  std::lock_guard<std::mutex> lock(mu_);
  return running_task_ || !queue_.empty();
}

void MpiCommunicator::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopping_ = true;
    cv_.notify_one();
  }
  if (worker_.joinable()) worker_.join();
  std::lock_guard<std::mutex> lock(mu_);
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Comm_free(&comm_);
  stopped_ = true;
}

std::shared_ptr<Work> MpiCommunicator::all_reduce(const torch::Tensor& tensor, ReduceOp op) {
  check::dense("all_reduce", tensor);
  cpu_only("all_reduce", tensor);
  check::averageable("all_reduce", tensor, op);
  mpi_type(needs_fp32(tensor) ? torch::kFloat : tensor.scalar_type());  // unsupported types fail here
  return enqueue(describe("all_reduce", tensor) + " " + to_string(op),
                 [this, tensor, op] { reduce_in_place(comm_, size_, tensor, op); });
}

std::shared_ptr<Work> MpiCommunicator::broadcast(const torch::Tensor& tensor, int root) {
  check::dense("broadcast", tensor);
  cpu_only("broadcast", tensor);
  check::root(*this, root);
  const int bytes = bytes_of(tensor, "broadcast");
  return enqueue(describe("broadcast", tensor), [this, tensor, root, bytes] {
    MPI_Bcast(tensor.data_ptr(), bytes, MPI_BYTE, root, comm_);
  });
}

std::shared_ptr<Work> MpiCommunicator::all_gather(const torch::Tensor& input, const torch::Tensor& output) {
  check::all_gather(*this, input, output);
  cpu_only("all_gather", input);
  cpu_only("all_gather", output);
  const int bytes = bytes_of(input, "all_gather");
  bytes_of(output, "all_gather");
  return enqueue(describe("all_gather", input), [this, input, output, bytes] {
    MPI_Allgather(input.data_ptr(), bytes, MPI_BYTE, output.data_ptr(), bytes, MPI_BYTE, comm_);
  });
}

std::shared_ptr<Work> MpiCommunicator::reduce_scatter(const torch::Tensor& input, const torch::Tensor& output,
                                                      ReduceOp op) {
  check::reduce_scatter(*this, input, output);
  cpu_only("reduce_scatter", input);
  cpu_only("reduce_scatter", output);
  check::averageable("reduce_scatter", input, op);
  mpi_type(needs_fp32(input) ? torch::kFloat : input.scalar_type());
  return enqueue(describe("reduce_scatter", input) + " " + to_string(op),
                 [this, input, output, op] { reduce_scatter_into(comm_, size_, input, output, op); });
}

std::shared_ptr<Work> MpiCommunicator::all_to_all(const torch::Tensor& input, const std::vector<int64_t>& send_rows,
                                                  const torch::Tensor& output,
                                                  const std::vector<int64_t>& recv_rows) {
  const int64_t row_numel = check::all_to_all(*this, input, send_rows, output, recv_rows);
  cpu_only("all_to_all", input);
  cpu_only("all_to_all", output);
  // Counts and displacements in rows (an MPI contiguous type of one row) keep them far below INT_MAX.
  std::vector<int> send_counts, send_displs, recv_counts, recv_displs;
  int64_t send_at = 0, recv_at = 0;
  for (int r = 0; r < size_; ++r) {
    send_counts.push_back(count_of(send_rows[r], "all_to_all"));
    send_displs.push_back(count_of(send_at, "all_to_all"));
    recv_counts.push_back(count_of(recv_rows[r], "all_to_all"));
    recv_displs.push_back(count_of(recv_at, "all_to_all"));
    send_at += send_rows[r];
    recv_at += recv_rows[r];
  }
  const int row_bytes = count_of(row_numel * input.element_size(), "all_to_all");
  return enqueue(describe("all_to_all", input),
                 [this, input, output, row_bytes, send_counts, send_displs, recv_counts, recv_displs] {
                   MPI_Datatype row;
                   MPI_Type_contiguous(std::max(row_bytes, 1), MPI_BYTE, &row);
                   MPI_Type_commit(&row);
                   MPI_Alltoallv(input.data_ptr(), send_counts.data(), send_displs.data(), row, output.data_ptr(),
                                 recv_counts.data(), recv_displs.data(), row, comm_);
                   MPI_Type_free(&row);
                 });
}

std::shared_ptr<Work> MpiCommunicator::barrier() {
  return enqueue("barrier", [this] { MPI_Barrier(comm_); });
}

// Called at exit before MPI_Finalize. A communicator with work still in flight means this rank is
// leaving while its peers may wait for it: abort the job instead of hanging them.
void stop_all_communicators() {
  std::vector<MpiCommunicator*> all;
  {
    std::lock_guard<std::mutex> lock(g_registry_mu);
    all = g_registry;
  }
  for (auto* c : all) {
    if (c->busy()) {
      std::cerr << "tetra: rank " << c->rank() << " is exiting with collectives in flight on '" << c->name()
                << "'; aborting the job so that the other ranks do not wait forever" << std::endl;
      abort(3);
    }
  }
  for (auto* c : all) c->stop();
}

}  // namespace tetra::parallel::mpi
