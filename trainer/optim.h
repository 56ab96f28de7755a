// AdamW with parameter groups (encoder lr multiplier, no decay on vectors) and the warm-up +
// cosine schedule of SPEC section 4. The optimizer is parallel::ShardedAdamW, so the same code
// updates whole parameters or, under ZeRO-1, this rank's shards of them.
#pragma once
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "parallel/sharded_adamw.h"
#include "trainer/config.h"

namespace tetra::trainer {

// Linear warm-up from 0 to lr over warmup_steps, then cosine decay to min_lr at total_steps.
double learning_rate_at(const OptimConfig& optim, int64_t step, int64_t total_steps);

struct Optimizer {
  std::unique_ptr<parallel::ShardedAdamW> adamw;
  std::vector<double> group_multipliers;  // lr of group g = schedule * multiplier[g]
  void set_step(const OptimConfig& optim, int64_t step, int64_t total_steps);
};

// Groups, indexed 2 * is_encoder + is_vector: {rest, encoder} x {decayed matrices, undecayed
// vectors (biases, norms, gains)}. names/params: the trainable parameters, in the order the
// optimizer's shards index into (parallel::DataParallel::names()/params()).
Optimizer make_optimizer(const std::vector<std::string>& names, const std::vector<torch::Tensor>& params,
                         const OptimConfig& optim);

}  // namespace tetra::trainer
