// How a training step's gradients become the global batch's gradients: the one seam between the
// trainer and gradient communication (in the spirit of c10d's Reducer and flashlight's reducers).
//
// A step, on every rank of the sync's groups, in this order:
//
//   sync.begin_step(K);                         // K micro-batches this step
//   for each of the K micro-batches:
//     sync.backward(loss);                      // loss already weighted by the rank's share
//   auto norm = sync.finish(max_norm);          // every reduction done, gradients clipped
//   optimizer.step(sync.owned_shards(), [&](int64_t p) { return !sync.used(p); });
//   sync.gather_parameters();                   // every rank has every updated parameter again
//
// Contracts, shared by every implementation:
// - Gradients are summed across ranks, never averaged: each rank backpropagates its part of the
//   global loss (parallel/global_batch.h says how a step weighs its micro-batches), so the sum is
//   the gradient of the global loss whatever the ranks' batch sizes.
// - Parameters are numbered by the list the sync was built over (DataParallel: the module's
//   trainable parameters, in order); used(), owned_shards() and ParamShard::param use that index.
// - backward() is called exactly K times, on every rank, even where a rank has nothing to
//   backpropagate (an undefined loss: no backward runs, the micro-batch still counts). Reductions
//   may start during the last backward; the inner ones only accumulate.
// - finish() is collective and returns with every reduction complete (the optimizer may read the
//   gradients), gradients of parameters no rank used this step undefined, and, when max_norm > 0,
//   the gradients scaled by min(1, max_norm / (norm + 1e-6)) (LibTorch's clip_grad_norm_). It
//   returns the global pre-clip L2 norm as a 0-dim tensor on the gradients' device, without a
//   host sync.
// - owned_shards() is what this rank's optimizer updates (whole parameters, or ZeRO-1 shards), with
//   their reduced gradients; gather_parameters() (collective, after the optimizer step) brings every
//   rank the updated values of the parts it does not own (a no-op without sharding).
//
// Implementations: BucketedGradSync (parallel/data_parallel.h), one group, buckets reduced during
// backward (parallel/grad_reducer.h), optionally ZeRO-1. Expert parallelism fits behind this
// interface as a composite of two bucketed syncs over disjoint parameter lists: the dense
// parameters over the whole data-parallel world, each expert's parameters over that expert's
// data-parallel group. The composite maps its parameter indices onto the parts', runs their
// backward hooks from the same backward(), and in finish() completes both parts' reductions, sums
// their squared norms into one global norm and scales both by one coefficient (which is why
// BucketedGradSync exposes grad_norm() and scale_grads() besides finish()).
#pragma once
#include <torch/types.h>

#include <vector>

#include "parallel/sharded_adamw.h"

namespace tetra::parallel {

class GradSync {
 public:
  virtual ~GradSync() = default;

  // Before the step's first backward: the step has `micro_batches` (>= 1) backward() calls.
  virtual void begin_step(int64_t micro_batches) = 0;
  // One micro-batch's backward; undefined `loss`: this rank has nothing in it (no backward runs).
  virtual void backward(const torch::Tensor& loss) = 0;
  // After the last backward(): reductions complete, unused gradients dropped, clipped when
  // max_norm > 0. Returns the global pre-clip norm (0-dim, on the device, no host sync). Collective.
  virtual torch::Tensor finish(double max_norm) = 0;
  // After finish(): whether some rank produced a gradient for `param` this step.
  virtual bool used(int64_t param) const = 0;
  // The pieces of parameters this rank updates, with their reduced gradients. Views are made on
  // each call, so they follow parameters whose storage was replaced (torch::load).
  virtual std::vector<ParamShard> owned_shards() const = 0;
  // After the optimizer step: every rank receives the parameters it does not own. Collective.
  virtual void gather_parameters() = 0;
};

}  // namespace tetra::parallel
