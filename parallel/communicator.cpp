#include "parallel/communicator.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>

namespace tetra::parallel {

std::string to_string(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return "sum";
    case ReduceOp::kAvg: return "avg";
    case ReduceOp::kMax: return "max";
    case ReduceOp::kMin: return "min";
  }
  return "?";
}

namespace check {

void dense(const char* op, const torch::Tensor& t) {
  TORCH_CHECK(t.defined(), op, ": tensor is undefined");
  TORCH_CHECK(t.is_contiguous(), op, ": tensor must be contiguous (call .contiguous() first)");
  TORCH_CHECK(t.layout() == torch::kStrided, op, ": only dense tensors are supported");
}

namespace {

// One side holds a chunk per rank (`whole`), the other one chunk (`part`).
void chunked(const char* op, const Communicator& c, const torch::Tensor& input, const torch::Tensor& output,
             const torch::Tensor& whole, const torch::Tensor& part) {
  dense(op, input);
  dense(op, output);
  TORCH_CHECK(input.scalar_type() == output.scalar_type(), op, ": input is ", input.scalar_type(), " but output is ",
              output.scalar_type());
  TORCH_CHECK(whole.numel() == part.numel() * c.size(), op, ": ", whole.numel(), " elements where ", c.size(),
              " x ", part.numel(), " are expected");
}

}  // namespace

void all_gather(const Communicator& c, const torch::Tensor& input, const torch::Tensor& output) {
  chunked("all_gather", c, input, output, output, input);
}

void reduce_scatter(const Communicator& c, const torch::Tensor& input, const torch::Tensor& output) {
  chunked("reduce_scatter", c, input, output, input, output);
}

int64_t all_to_all(const Communicator& c, const torch::Tensor& input, const std::vector<int64_t>& send_rows,
                   const torch::Tensor& output, const std::vector<int64_t>& recv_rows) {
  dense("all_to_all input", input);
  dense("all_to_all output", output);
  TORCH_CHECK(input.dim() >= 1 && output.dim() >= 1, "all_to_all: tensors need at least one dimension");
  TORCH_CHECK(input.scalar_type() == output.scalar_type(), "all_to_all: input is ", input.scalar_type(),
              " but output is ", output.scalar_type());
  TORCH_CHECK(input.sizes().slice(1) == output.sizes().slice(1), "all_to_all: rows of input ",
              input.sizes().slice(1), " and output ", output.sizes().slice(1), " differ");
  TORCH_CHECK(static_cast<int>(send_rows.size()) == c.size() && static_cast<int>(recv_rows.size()) == c.size(),
              "all_to_all: need one split per rank (", c.size(), "), got ", send_rows.size(), " and ",
              recv_rows.size());
  for (size_t r = 0; r < send_rows.size(); ++r)
    TORCH_CHECK(send_rows[r] >= 0 && recv_rows[r] >= 0, "all_to_all: negative split for rank ", r);
  const int64_t sent = std::accumulate(send_rows.begin(), send_rows.end(), int64_t{0});
  const int64_t received = std::accumulate(recv_rows.begin(), recv_rows.end(), int64_t{0});
  TORCH_CHECK(sent == input.size(0), "all_to_all: send splits add up to ", sent, " rows, input has ",
              input.size(0));
  TORCH_CHECK(received == output.size(0), "all_to_all: receive splits add up to ", received,
              " rows, output has ", output.size(0));
  return c10::multiply_integers(input.sizes().slice(1));
}

void root(const Communicator& c, int root) {
  TORCH_CHECK(root >= 0 && root < c.size(), "broadcast: root ", root, " is outside the group of ", c.size());
}

void averageable(const char* op, const torch::Tensor& t, ReduceOp reduce) {
  TORCH_CHECK(reduce != ReduceOp::kAvg || t.is_floating_point(), op,
              ": averaging needs a floating-point tensor, got ", t.scalar_type());
}

}  // namespace check

GatheredRows all_gather_rows(Communicator& host, Communicator& device, const torch::Tensor& local) {
  auto count = torch::tensor({local.size(0)}, torch::kInt64);
  auto counts = torch::empty({host.size()}, torch::kInt64);
  host.all_gather(count, counts)->wait();
  return all_gather_rows(device, local, std::vector<int64_t>(counts.data_ptr<int64_t>(),
                                                             counts.data_ptr<int64_t>() + counts.numel()));
}

GatheredRows all_gather_rows(Communicator& device, const torch::Tensor& local, const std::vector<int64_t>& counts) {
  TORCH_CHECK(static_cast<int>(counts.size()) == device.size() && counts[static_cast<size_t>(device.rank())] == local.size(0),
              "all_gather_rows: ", counts.size(), " counts for ", device.size(), " ranks, or this rank's ",
              local.size(0), " rows not among them");
  const int64_t longest = *std::max_element(counts.begin(), counts.end());
  auto shape = local.sizes().vec();
  shape[0] = longest;
  auto padded = torch::zeros(shape, local.options());
  padded.narrow(0, 0, local.size(0)).copy_(local);
  shape[0] = longest * device.size();
  auto all = torch::empty(shape, local.options());
  device.all_gather(padded, all)->wait();
  GatheredRows out;
  std::vector<torch::Tensor> parts;
  for (int r = 0; r < device.size(); ++r) {
    parts.push_back(all.narrow(0, r * longest, counts[static_cast<size_t>(r)]));
    if (r < device.rank()) out.first_row += counts[static_cast<size_t>(r)];
  }
  out.all = torch::cat(parts, 0);
  return out;
}

std::vector<std::string> all_gather_strings(Communicator& comm, const std::string& mine) {
  auto length = torch::tensor({static_cast<int64_t>(mine.size())}, torch::kInt64);
  auto lengths = torch::empty({comm.size()}, torch::kInt64);
  comm.all_gather(length, lengths)->wait();
  const int64_t longest = lengths.max().item<int64_t>();
  auto padded = torch::zeros({longest}, torch::kUInt8);
  std::memcpy(padded.data_ptr<uint8_t>(), mine.data(), mine.size());
  auto all = torch::empty({comm.size() * longest}, torch::kUInt8);
  comm.all_gather(padded, all)->wait();
  std::vector<std::string> out;
  const auto* bytes = reinterpret_cast<const char*>(all.data_ptr<uint8_t>());
  for (int r = 0; r < comm.size(); ++r)
    out.emplace_back(bytes + r * longest, static_cast<size_t>(lengths[r].item<int64_t>()));
  return out;
}

std::string broadcast_string(Communicator& comm, const std::string& text, int root) {
  auto length = torch::tensor({static_cast<int64_t>(text.size())}, torch::kInt64);
  comm.broadcast(length, root)->wait();
  auto bytes = torch::zeros({length.item<int64_t>()}, torch::kUInt8);
  if (comm.rank() == root) std::memcpy(bytes.data_ptr<uint8_t>(), text.data(), text.size());
  comm.broadcast(bytes, root)->wait();
  return std::string(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()), static_cast<size_t>(bytes.numel()));
}

int64_t all_reduce_int(Communicator& comm, int64_t value, ReduceOp op) {
  auto t = torch::tensor({value}, torch::kInt64);
  comm.all_reduce(t, op)->wait();
  return t.item<int64_t>();
}

}  // namespace tetra::parallel
