#include "trainer/state/optim.h"

#include <torch/torch.h>

#include <cmath>

#include "trainer/state/trainable.h"

namespace tetra::trainer {

double learning_rate_at(const LrSchedule& o, int64_t step, int64_t total_steps) {
  if (step < o.warmup_steps) return o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  const int64_t decay_steps = std::max<int64_t>(1, total_steps - o.warmup_steps);
  const double progress = std::min(1.0, static_cast<double>(step - o.warmup_steps) / decay_steps);
  return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1.0 + std::cos(M_PI * progress));
}

void Optimizer::set_step(const LrSchedule& o, int64_t step, int64_t total_steps) {
  const double lr = learning_rate_at(o, step, total_steps);
  auto& groups = adamw->groups();
  for (size_t g = 0; g < groups.size(); ++g) groups[g].lr = lr * (g >= 2 ? o.encoder_lr_multiplier : 1.0);
}

Optimizer make_optimizer(const std::vector<std::string>& names, const std::vector<torch::Tensor>& params,
                         const OptimConfig& o) {
  std::vector<int64_t> group_of;
  for (size_t i = 0; i < names.size(); ++i) {
    const bool encoder = is_encoder_parameter(names[i]);
    const bool vector = params[i].dim() < 2;
    group_of.push_back(2 * encoder + vector);
  }
  Optimizer out;
  std::vector<parallel::AdamWGroup> groups;
  for (int g = 0; g < 4; ++g) {
    const bool encoder = g >= 2, vector = g % 2 == 1;
    groups.push_back({o.schedule.lr * (encoder ? o.schedule.encoder_lr_multiplier : 1.0), vector ? 0.0 : o.weight_decay});
  }
  out.adamw = std::make_unique<parallel::ShardedAdamW>(names, group_of, groups,
                                                       parallel::AdamWOptions{o.beta1, o.beta2, o.eps});
  return out;
}

}  // namespace tetra::trainer
