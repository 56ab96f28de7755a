// Data parallelism for a LibTorch module: what PyTorch's DistributedDataParallel does, plus ZeRO-1.
//
//   DataParallel dp(*model, mesh.data_parallel(), options);       // after the model is on its device
//   dp.check_same_model();                                           // clear error, never a hang
//   dp.broadcast_from_rank0();                                       // parameters and buffers
//   each step:
//     dp.reducer().begin_step(K);
//     for each of K micro-batches: dp.reducer().begin_micro_step(); dp.reducer().backward(loss * share);
//     dp.reducer().finish();                                         // all buckets reduced
//     auto norm = dp.clip_grad_norm(max_norm);
//     optimizer.step(dp.owned_shards(), [&](int64_t p) { return !dp.reducer().used(p); });
//     dp.gather_parameters();                                        // ZeRO-1 only; no-op otherwise
//
// `share` is this micro-batch's fraction of the whole step's global batch (the trainer counts
// tokens): gradients are summed across ranks, so the result is the gradient of the global mean.
#pragma once
#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "parallel/grad_reducer.h"
#include "parallel/mesh.h"
#include "parallel/sharded_adamw.h"

namespace tetra::parallel {

struct DataParallelOptions {
  int64_t bucket_bytes = int64_t{25} << 20;
  int64_t first_bucket_bytes = int64_t{1} << 20;
  bool zero1 = false;          // shard optimizer state (and reduce-scatter gradients)
  bool overlap = true;
  bool record_events = false;
};

class DataParallel {
 public:
  DataParallel(torch::nn::Module& model, Group group, const DataParallelOptions& options);

  // Fails on every rank with one message when ranks built differently shaped models (compare the
  // config first with parallel::check_identical). Collective.
  absl::Status check_same_model();
  // Rank 0's parameters and buffers to every rank. Collective.
  void broadcast_from_rank0();

  GradReducer& reducer() { return *reducer_; }
  const Group& group() const { return group_; }
  bool zero1() const { return options_.zero1; }
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<torch::Tensor>& params() const { return params_; }

  // The pieces of parameters this rank updates: every parameter whole, or its ZeRO-1 shards.
  // Views are made on each call, so they follow parameters whose storage was replaced (torch::load).
  std::vector<ParamShard> owned_shards() const;

  // After reducer().finish(): the global L2 norm of the gradient (a 0-dim tensor on the gradients'
  // device; no host sync) and, when max_norm > 0, gradients scaled down to at most max_norm, with
  // LibTorch's clip_grad_norm_ arithmetic.
  torch::Tensor clip_grad_norm(double max_norm);

  // ZeRO-1: after the optimizer step, every rank receives every updated parameter (all-gather per
  // bucket, through the gradient buffers, which are free at that point). No-op otherwise.
  void gather_parameters();

  // "name: [shape] dtype" per parameter and buffer: what check_same_model compares.
  static std::string model_signature(const torch::nn::Module& model);

 private:
  torch::nn::Module& model_;
  Group group_;
  DataParallelOptions options_;
  std::vector<std::string> names_;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<GradReducer> reducer_;
  std::vector<std::vector<ShardSegment>> segments_;  // ZeRO-1: per bucket, this rank's pieces
};

}  // namespace tetra::parallel
