// The gradient sync of plain data parallelism (parallel/grad_sync.h) over one group: a list of
// parameters reduced in buckets during the last backward (parallel/grad_reducer.h), clipped as
// LibTorch's clip_grad_norm_, optionally ZeRO-1 (each rank owns a shard of every bucket and
// updates only that; gather_parameters() all-gathers the updated shards through the free gradient
// buffers).
//
// finish() is reducer().finish(), then clip_grad_norm(). Its parts stay public: the benchmarks and
// tests drive the reducer by hand, and an expert-parallel composite (grad_sync.h) runs two of these
// over disjoint parameter lists and needs each part's norm before it scales both.
#pragma once
#include <torch/types.h>

#include <memory>
#include <vector>

#include "parallel/buckets.h"
#include "parallel/grad_reducer.h"
#include "parallel/grad_sync.h"
#include "parallel/mesh.h"
#include "parallel/sharded_adamw.h"

namespace tetra::parallel {

class BucketedGradSync : public GradSync {
 public:
  // params: trainable leaf tensors, the same list (shapes, order) on every rank. Collective-free.
  // options.shard: ZeRO-1.
  BucketedGradSync(std::vector<torch::Tensor> params, Group group, const ReducerOptions& options);
  BucketedGradSync(const BucketedGradSync&) = delete;
  BucketedGradSync& operator=(const BucketedGradSync&) = delete;

  void begin_step(int64_t micro_batches) override;
  void backward(const torch::Tensor& loss) override;
  torch::Tensor finish(double max_norm) override;
  bool used(int64_t param) const override { return reducer_->used(param); }
  std::vector<ParamShard> owned_shards() const override;
  void gather_parameters() override;

  // After reducer().finish(): the L2 norm of this sync's gradients over its group (0-dim, on the
  // gradients' device, no host sync; collective under ZeRO-1). Without ZeRO-1 it is the norm of
  // the per-parameter norms, as LibTorch computes it.
  torch::Tensor grad_norm();
  // Multiplies every gradient this rank owns by `coef` (0-dim, on the gradients' device).
  void scale_grads(const torch::Tensor& coef);
  // grad_norm(), then, when max_norm > 0, scale_grads(min(1, max_norm / (norm + 1e-6))).
  torch::Tensor clip_grad_norm(double max_norm);

  GradReducer& reducer() { return *reducer_; }
  const Group& group() const { return group_; }
  bool zero1() const { return reducer_->options().shard; }
  const std::vector<torch::Tensor>& params() const { return params_; }

 private:
  Group group_;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<GradReducer> reducer_;
  std::vector<std::vector<ShardSegment>> segments_;  // ZeRO-1: per bucket, this rank's pieces
};

}  // namespace tetra::parallel
