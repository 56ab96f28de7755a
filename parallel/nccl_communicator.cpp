#include "parallel/nccl_communicator.h"

#include "absl/strings/str_cat.h"

#if TETRA_WITH_NCCL
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <nccl.h>
#include <torch/torch.h>

#include <cstring>
#endif

namespace tetra::parallel {

#if TETRA_WITH_NCCL
namespace {

#define TETRA_NCCL_CHECK(expr)                                                                      \
  do {                                                                                              \
    ncclResult_t tetra_nccl_result = (expr);                                                        \
    TORCH_CHECK(tetra_nccl_result == ncclSuccess, "NCCL: ", #expr, " failed: ",                    \
                ncclGetErrorString(tetra_nccl_result), " (set NCCL_DEBUG=WARN for NCCL's reason)"); \
  } while (0)

ncclDataType_t nccl_type(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat: return ncclFloat32;
    case torch::kHalf: return ncclFloat16;
    case torch::kBFloat16: return ncclBfloat16;
    case torch::kDouble: return ncclFloat64;
    case torch::kInt32: return ncclInt32;
    case torch::kInt64: return ncclInt64;
    case torch::kUInt8: return ncclUint8;
    case torch::kInt8: return ncclInt8;
    case torch::kBool: return ncclUint8;
    default: TORCH_CHECK(false, "NCCL communicator: unsupported tensor type ", type);
  }
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return ncclSum;
    case ReduceOp::kAvg: return ncclAvg;
    case ReduceOp::kMax: return ncclMax;
    case ReduceOp::kMin: return ncclMin;
  }
  return ncclSum;
}

class NcclWork final : public Work {
 public:
  NcclWork(at::cuda::CUDAEvent done, c10::DeviceIndex device, bool block_host)
      : done_(std::move(done)), device_(device), block_host_(block_host) {}
  void wait() override {
    if (block_host_) {
      done_.synchronize();
    } else {
      done_.block(c10::cuda::getCurrentCUDAStream(device_));
    }
  }
  bool completed() override { return done_.query(); }

 private:
  at::cuda::CUDAEvent done_;
  c10::DeviceIndex device_;
  bool block_host_;
};

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(ncclComm_t comm, int rank, int size, c10::DeviceIndex device, std::string name)
      : comm_(comm),
        rank_(rank),
        size_(size),
        device_(device),
        stream_(c10::cuda::getStreamFromPool(/*isHighPriority=*/true, device)),
        name_(std::move(name)) {}
  ~NcclCommunicator() override { ncclCommDestroy(comm_); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "nccl"; }

  std::shared_ptr<Work> all_reduce(const torch::Tensor& tensor, ReduceOp op) override {
    on_device("all_reduce", tensor);
    check::averageable("all_reduce", tensor, op);
    return launch({tensor}, [&](cudaStream_t s) {
      TETRA_NCCL_CHECK(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(),
                                     nccl_type(tensor.scalar_type()), nccl_op(op), comm_, s));
    });
  }

  std::shared_ptr<Work> broadcast(const torch::Tensor& tensor, int root) override {
    on_device("broadcast", tensor);
    check::root(*this, root);
    return launch({tensor}, [&](cudaStream_t s) {
      TETRA_NCCL_CHECK(ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), tensor.numel() * tensor.element_size(),
                                     ncclUint8, root, comm_, s));
    });
  }

  std::shared_ptr<Work> all_gather(const torch::Tensor& input, const torch::Tensor& output) override {
    check::all_gather(*this, input, output);
    on_device("all_gather", input);
    on_device("all_gather", output);
    return launch({input, output}, [&](cudaStream_t s) {
      TETRA_NCCL_CHECK(ncclAllGather(input.data_ptr(), output.data_ptr(), input.numel() * input.element_size(),
                                     ncclUint8, comm_, s));
    });
  }

  std::shared_ptr<Work> reduce_scatter(const torch::Tensor& input, const torch::Tensor& output,
                                       ReduceOp op) override {
    check::reduce_scatter(*this, input, output);
    on_device("reduce_scatter", input);
    on_device("reduce_scatter", output);
    check::averageable("reduce_scatter", input, op);
    return launch({input, output}, [&](cudaStream_t s) {
      TETRA_NCCL_CHECK(ncclReduceScatter(input.data_ptr(), output.data_ptr(), output.numel(),
                                         nccl_type(input.scalar_type()), nccl_op(op), comm_, s));
    });
  }

  std::shared_ptr<Work> all_to_all(const torch::Tensor& input, const std::vector<int64_t>& send_rows,
                                   const torch::Tensor& output, const std::vector<int64_t>& recv_rows) override {
    const int64_t row_bytes = check::all_to_all(*this, input, send_rows, output, recv_rows) * input.element_size();
    on_device("all_to_all", input);
    on_device("all_to_all", output);
    return launch({input, output}, [&](cudaStream_t s) {
      auto* send = static_cast<char*>(input.data_ptr());
      auto* recv = static_cast<char*>(output.data_ptr());
      TETRA_NCCL_CHECK(ncclGroupStart());
      for (int r = 0; r < size_; ++r) {
        if (send_rows[r] > 0) TETRA_NCCL_CHECK(ncclSend(send, send_rows[r] * row_bytes, ncclUint8, r, comm_, s));
        if (recv_rows[r] > 0) TETRA_NCCL_CHECK(ncclRecv(recv, recv_rows[r] * row_bytes, ncclUint8, r, comm_, s));
        send += send_rows[r] * row_bytes;
        recv += recv_rows[r] * row_bytes;
      }
      TETRA_NCCL_CHECK(ncclGroupEnd());
    });
  }

  // A one-element all-reduce whose wait() blocks the host: the only op here that does.
  std::shared_ptr<Work> barrier() override {
    auto token = torch::zeros({1}, torch::TensorOptions().device(torch::kCUDA, device_));
    return launch(
        {token},
        [&](cudaStream_t s) {
          TETRA_NCCL_CHECK(ncclAllReduce(token.data_ptr(), token.data_ptr(), 1, ncclFloat32, ncclSum, comm_, s));
        },
        /*block_host=*/true);
  }

 private:
  void on_device(const char* op, const torch::Tensor& t) const {
    check::dense(op, t);
    TORCH_CHECK(t.is_cuda() && t.device().index() == device_, op, ": the NCCL communicator '", name_,
                "' moves tensors on cuda:", static_cast<int>(device_), ", got one on ", t.device());
  }

  template <class Body>
  std::shared_ptr<Work> launch(std::initializer_list<torch::Tensor> tensors, Body&& body, bool block_host = false) {
    c10::cuda::CUDAGuard guard(device_);
    at::cuda::CUDAEvent inputs_ready;
    inputs_ready.record(c10::cuda::getCurrentCUDAStream(device_));
    inputs_ready.block(stream_);
    // The caller may drop its tensors before NCCL is done: keep the allocator from reusing them.
    for (const auto& t : tensors) c10::cuda::CUDACachingAllocator::recordStream(t.storage().data_ptr(), stream_);
    body(stream_.stream());
    at::cuda::CUDAEvent done;
    done.record(stream_);
    return std::make_shared<NcclWork>(std::move(done), device_, block_host);
  }

  ncclComm_t comm_;
  int rank_, size_;
  c10::DeviceIndex device_;
  c10::cuda::CUDAStream stream_;
  std::string name_;
};

}  // namespace

bool nccl_compiled_in() { return true; }

absl::StatusOr<std::shared_ptr<Communicator>> make_nccl_communicator(Communicator& bootstrap, int device,
                                                                     const std::string& name) {
  try {
    ncclUniqueId id;
    std::memset(&id, 0, sizeof(id));
    if (bootstrap.rank() == 0) TETRA_NCCL_CHECK(ncclGetUniqueId(&id));
    auto bytes = torch::from_blob(&id, {static_cast<int64_t>(sizeof(id))}, torch::kUInt8).clone();
    bootstrap.broadcast(bytes, 0)->wait();
    std::memcpy(&id, bytes.data_ptr(), sizeof(id));
    c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device));
    ncclComm_t comm;
    TETRA_NCCL_CHECK(ncclCommInitRank(&comm, bootstrap.size(), id, bootstrap.rank()));
    return std::shared_ptr<Communicator>(std::make_shared<NcclCommunicator>(
        comm, bootstrap.rank(), bootstrap.size(), static_cast<c10::DeviceIndex>(device), name));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("creating NCCL communicator '", name, "' on cuda:", device, ": ",
                                            e.what_without_backtrace()));
  }
}

#else

bool nccl_compiled_in() { return false; }

absl::StatusOr<std::shared_ptr<Communicator>> make_nccl_communicator(Communicator&, int, const std::string& name) {
  return absl::FailedPreconditionError(absl::StrCat(
      "NCCL communicator '", name, "': this build has no NCCL, so CUDA ranks cannot communicate; install NCCL "
      "(e.g. libnccl-dev) and reconfigure, or train on one GPU"));
}

#endif

}  // namespace tetra::parallel
