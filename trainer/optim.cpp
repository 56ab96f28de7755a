#include "trainer/optim.h"

#include <torch/torch.h>

#include <cmath>

#include "model/tokenizer.h"

namespace tetra::trainer {

double learning_rate_at(const OptimConfig& o, int64_t step, int64_t total_steps) {
  if (step < o.warmup_steps) return o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  const int64_t decay_steps = std::max<int64_t>(1, total_steps - o.warmup_steps);
  const double progress = std::min(1.0, static_cast<double>(step - o.warmup_steps) / decay_steps);
  return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1.0 + std::cos(M_PI * progress));
}

void Optimizer::set_step(const OptimConfig& o, int64_t step, int64_t total_steps) {
  const double lr = learning_rate_at(o, step, total_steps);
  auto& groups = adamw->param_groups();
  for (size_t g = 0; g < groups.size(); ++g)
    static_cast<torch::optim::AdamWOptions&>(groups[g].options()).lr(lr * group_multipliers[g]);
}

Optimizer make_optimizer(torch::nn::Module& model, const OptimConfig& o) {
  // Index: 2 * is_encoder + is_vector.
  std::vector<std::vector<torch::Tensor>> params(4);
  for (const auto& item : model.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    const bool encoder = model::TokenizerImpl::is_encoder_parameter(item.key());
    const bool vector = item.value().dim() < 2;
    params[2 * encoder + vector].push_back(item.value());
  }
  Optimizer out;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (int g = 0; g < 4; ++g) {
    if (params[g].empty()) continue;
    const bool encoder = g >= 2, vector = g % 2 == 1;
    auto options = std::make_unique<torch::optim::AdamWOptions>(o.lr);
    options->betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(vector ? 0.0 : o.weight_decay);
    groups.emplace_back(params[g], std::move(options));
    out.group_multipliers.push_back(encoder ? o.encoder_lr_multiplier : 1.0);
  }
  out.adamw = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(o.lr));
  return out;
}

}  // namespace tetra::trainer
