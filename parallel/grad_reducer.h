// Gradient reduction overlapped with backward (what PyTorch's DDP Reducer does, for LibTorch).
//
// Each parameter's .grad is a view into its bucket's flat buffer, so autograd accumulates straight
// into the buckets. A post-hook on every parameter's gradient accumulator marks it ready; when every
// parameter of a bucket is ready the bucket's reduction is launched asynchronously, while backward
// goes on with earlier layers. Buckets are launched strictly in index order on every rank (a bucket
// that is ready early waits for its predecessors), so collectives always match across ranks.
//
// Gradients are summed across ranks, not averaged (the contract: parallel/grad_sync.h, whose
// bucketed implementation drives this class; the weights: parallel/global_batch.h).
//
// Gradient accumulation: a step has K micro-steps; only the last one's backward launches
// reductions, the inner ones just accumulate into the buckets (no communication).
//
// Unused parameters: a parameter whose gradient never arrives (a head that this task does not use,
// or a rank with no samples) would leave its bucket incomplete and, since buckets go in order,
// hold back every later one until backward ends. So before the last backward the autograd graph
// is walked from the loss (as PyTorch's find_unused_parameters does): parameters it does not reach
// count as ready at once. A rank that runs no backward at all has its buckets launched by finish(),
// in order. Ranks then agree (one small all-reduce of "used" flags) on which parameters nobody
// used, and those get no .grad, as in single-process training, so the optimizer skips them.
//
// ZeRO-1 (options.shard): buckets are reduce-scattered instead of all-reduced; each rank keeps only
// its shard of every reduced bucket (reduced_shard()), and .grad is left undefined after finish().
#pragma once
#include <torch/types.h>

#include <memory>
#include <vector>

#include "parallel/buckets.h"
#include "parallel/mesh.h"

namespace tetra::parallel {

struct ReducerOptions {
  int64_t bucket_bytes = int64_t{25} << 20;
  int64_t first_bucket_bytes = int64_t{1} << 20;
  bool shard = false;          // ZeRO-1: reduce-scatter, keep this rank's shard
  bool overlap = true;         // false: launch every bucket after backward (debugging, benchmarks)
  bool record_events = false;  // keep events() for tests and benchmarks
};

struct ReducerEvent {
  enum class Kind { kGradReady, kLaunch, kBackwardDone };
  Kind kind;
  int64_t index;       // parameter (kGradReady) or bucket (kLaunch); -1 for kBackwardDone
  int64_t micro_step;  // within the step
};

class GradReducer {
 public:
  // params: every trainable parameter, in the model's order. Collective-free; the caller makes sure
  // every rank builds the same plan (same model, same options).
  GradReducer(std::vector<torch::Tensor> params, Group group, ReducerOptions options);
  ~GradReducer();
  GradReducer(const GradReducer&) = delete;
  GradReducer& operator=(const GradReducer&) = delete;

  // Before the step's first backward: zeroes the buckets and binds every .grad to its slice.
  void begin_step(int64_t micro_steps);
  // Before each backward of the step, in order; the last one's backward launches reductions.
  void begin_micro_step();
  // Between forward and backward: walks the graph of `loss` so that parameters it does not reach
  // do not hold their bucket back (only matters in the last micro-step).
  void prepare_for_backward(const torch::Tensor& loss);
  // prepare_for_backward(loss), then loss.backward().
  void backward(const torch::Tensor& loss);
  // After the last backward: launches what backward did not, waits for every reduction (the
  // optimizer step must come after this), and settles which parameters no rank used.
  void finish();

  const BucketPlan& plan() const;
  const std::vector<torch::Tensor>& params() const;
  const Group& group() const;
  const ReducerOptions& options() const;
  bool used(int64_t param) const;  // after finish(): some rank produced a gradient this step
  // ZeRO-1: this rank's shard of bucket b's summed gradient (padded_numel / group size elements).
  const torch::Tensor& reduced_shard(int64_t bucket) const;
  // Bucket b's flat gradient buffer. Under ZeRO-1 it is free between finish() and the next
  // begin_step(), and DataParallel gathers the updated parameters through it.
  const torch::Tensor& bucket_buffer(int64_t bucket) const;
  const std::vector<ReducerEvent>& events() const;  // of the current/last step
  double last_wait_seconds() const;  // how long finish() blocked on communication
  // Buckets whose reduction has already completed (e.g. probed when backward returns, before
  // finish(): the reductions that really ran during backward).
  int64_t completed_reductions();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace tetra::parallel
