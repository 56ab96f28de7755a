// Data parallelism for a LibTorch module: what PyTorch's DistributedDataParallel does, plus ZeRO-1.
// A BucketedGradSync (parallel/bucketed_grad_sync.h) over every trainable parameter of the module,
// in the module's order, plus what a replica needs before its first step.
//
//   DataParallel dp(*model, mesh.data_parallel(), options);   // after the model is on its device
//   dp.check_same_model();                                       // clear error, never a hang
//   dp.broadcast_from_rank0();                                   // parameters and buffers
//   each step: the GradSync protocol (parallel/grad_sync.h), with losses weighted by the rank's
//   share of the global batch (parallel/global_batch.h).
#pragma once
#include <torch/nn/module.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "parallel/bucketed_grad_sync.h"
#include "parallel/mesh.h"

namespace tetra::parallel {

struct DataParallelOptions {
  int64_t bucket_bytes = int64_t{25} << 20;
  int64_t first_bucket_bytes = int64_t{1} << 20;
  bool zero1 = false;          // shard optimizer state (and reduce-scatter gradients)
  bool overlap = true;
  bool record_events = false;
};

class DataParallel : public BucketedGradSync {
 public:
  DataParallel(torch::nn::Module& model, Group group, const DataParallelOptions& options);

  // Fails on every rank with one message when ranks built differently shaped models (compare the
  // config first with parallel::check_identical). Collective.
  absl::Status check_same_model();
  // Rank 0's parameters and buffers to every rank. Collective.
  void broadcast_from_rank0();

  // The trainable parameters' names, in the order of params() (the sync's parameter indices).
  const std::vector<std::string>& names() const { return names_; }

  // "name: [shape] dtype" per parameter and buffer: what check_same_model compares.
  static std::string model_signature(const torch::nn::Module& model);

 private:
  torch::nn::Module& model_;
  std::vector<std::string> names_;
};

}  // namespace tetra::parallel
