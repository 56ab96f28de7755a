#include "trainer/step.h"

#include <torch/torch.h>

#include "losses/reconstruction.h"
#include "parallel/communicator.h"

namespace tetra::trainer {

LossTerms compute_loss(const LossConfig& weights, const model::TokenizerOutput& out,
                       const model::PackedTokens& tokens, const model::PatchSize& patch) {
  LossTerms t;
  t.l1 = losses::l1_reconstruction(out.reconstruction, tokens.features, tokens, patch);
  t.kl = losses::kl_mean(out.kl_per_token);
  t.total = weights.rec_weight * weights.l1_weight * t.l1 + weights.kl_weight * t.kl;
  return t;
}

absl::StatusOr<StepResult> train_step(TrainingState& s, ImageBatcher& batcher, const Config& config,
                                      const BatchPlan& plan, torch::Device device) {
  // All micro-batches first: their token counts set every micro-batch's weight before any backward.
  std::vector<ImageBatch> micro;
  int64_t local_tokens = 0;
  for (int64_t k = 0; k < plan.micro_steps; ++k) {
    auto batch = batcher.next();
    if (!batch.ok()) return batch.status();
    local_tokens += batch->tokens.num_tokens();
    micro.push_back(std::move(*batch));
  }
  auto& dp = *s.dp;
  StepResult result;
  result.global_tokens = parallel::all_reduce_int(*dp.group().host, local_tokens, parallel::ReduceOp::kSum);
  result.weighted_terms = torch::zeros({3}, torch::TensorOptions().dtype(torch::kDouble).device(device));
  s.optimizer.set_step(config.optim, s.step, config.run.steps);
  const auto patch = patch_from_config(config.model);

  dp.reducer().begin_step(plan.micro_steps);
  for (auto& batch : micro) {
    dp.reducer().begin_micro_step();
    auto tokens = batch.tokens.to(device);
    model::ForwardOptions run;
    run.generator = s.latent_rng;
    run.sample_latent = config.model.sample_latent;
    auto loss = compute_loss(config.loss, s.model->forward(tokens, run), tokens, patch);
    const double share = static_cast<double>(tokens.num_tokens()) / static_cast<double>(result.global_tokens);
    (share == 1.0 ? loss.total : loss.total * share).backward();
    result.weighted_terms += torch::stack({loss.total, loss.l1, loss.kl}).detach().to(torch::kDouble) * tokens.num_tokens();
  }
  dp.reducer().finish();
  result.grad_norm = dp.clip_grad_norm(config.optim.grad_clip);
  s.optimizer.adamw->step(dp.owned_shards(), [&](int64_t p) { return !dp.reducer().used(p); });
  dp.gather_parameters();
  s.ema->update();
  s.cursor = micro.back().next;
  ++s.step;
  return result;
}

std::array<double, 3> global_loss_terms(const StepResult& result, parallel::Communicator& device_comm) {
  auto sums = result.weighted_terms.clone();
  device_comm.all_reduce(sums, parallel::ReduceOp::kSum)->wait();
  auto mean = (sums / static_cast<double>(result.global_tokens)).cpu();
  return {mean[0].item<double>(), mean[1].item<double>(), mean[2].item<double>()};
}

}  // namespace tetra::trainer
