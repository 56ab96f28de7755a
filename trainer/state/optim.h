// AdamW with parameter groups (encoder lr multiplier, no decay on vectors) and the warm-up +
// cosine schedule of SPEC section 4. The optimizer is parallel::ShardedAdamW, so the same code
// updates whole parameters or, under ZeRO-1, this rank's shards of them.
#pragma once
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "parallel/sharded_adamw.h"
#include "trainer/config/config.h"

namespace tetra::trainer {

// Linear warm-up from 0 to lr over warmup_steps, then cosine decay to min_lr at total_steps (a
// stage's steps: every stage runs its own schedule).
double learning_rate_at(const LrSchedule& schedule, int64_t step, int64_t total_steps);

struct Optimizer {
  std::unique_ptr<parallel::ShardedAdamW> adamw;
  // Sets every group's lr for `step` of `total_steps`: the encoder groups get the multiplier.
  void set_step(const LrSchedule& schedule, int64_t step, int64_t total_steps);
};

// Groups, indexed 2 * is_encoder + is_vector: {rest, encoder} x {decayed matrices, undecayed
// vectors (biases, norms, gains)}. names/params: the trainable parameters, in the order the
// optimizer's shards index into (parallel::DataParallel::names()/params()).
Optimizer make_optimizer(const std::vector<std::string>& names, const std::vector<torch::Tensor>& params,
                         const OptimConfig& optim);

}  // namespace tetra::trainer
