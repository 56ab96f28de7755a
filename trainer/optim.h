// AdamW with parameter groups (encoder lr multiplier, no decay on vectors) and the warm-up +
// cosine schedule of SPEC section 4.
#pragma once
#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

#include <memory>

#include "trainer/config.h"

namespace tetra::trainer {

// Linear warm-up from 0 to lr over warmup_steps, then cosine decay to min_lr at total_steps.
double learning_rate_at(const OptimConfig& optim, int64_t step, int64_t total_steps);

struct Optimizer {
  std::unique_ptr<torch::optim::AdamW> adamw;
  std::vector<double> group_multipliers;  // lr of group g = schedule * multiplier[g]
  void set_step(const OptimConfig& optim, int64_t step, int64_t total_steps);
};

// Groups: {encoder, rest} x {decayed matrices, undecayed vectors (biases, norms, gains)}.
Optimizer make_optimizer(torch::nn::Module& model, const OptimConfig& optim);

}  // namespace tetra::trainer
