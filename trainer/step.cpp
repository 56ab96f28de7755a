#include "trainer/step.h"

#include <torch/torch.h>

#include "losses/reconstruction.h"
#include "parallel/communicator.h"

namespace tetra::trainer {

losses::LossResult compute_loss(losses::LossComposer& composer, const model::TokenizerOutput& out,
                                const model::PackedTokens& tokens, const model::PatchSize& patch, int64_t step) {
  losses::LossInputs inputs;
  inputs.targets = &tokens;
  inputs.patch = patch;
  inputs.reconstruction = out.reconstruction;
  inputs.kl_per_token = out.kl_per_token;
  return composer.compute(losses::Modality::kImage, inputs, step);
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
  s.optimizer.set_step(config.optim, s.step, config.run.steps);
  const auto patch = patch_from_config(config.model);

  dp.reducer().begin_step(plan.micro_steps);
  for (auto& batch : micro) {
    dp.reducer().begin_micro_step();
    auto tokens = batch.tokens.to(device);
    model::ForwardOptions run;
    run.generator = s.latent_rng;
    run.sample_latent = config.model.sample_latent;
    auto loss = compute_loss(*s.losses, s.model->forward(tokens, run), tokens, patch, s.step);
    const double share = static_cast<double>(tokens.num_tokens()) / static_cast<double>(result.global_tokens);
    dp.reducer().backward(share == 1.0 ? loss.total : loss.total * share);
    std::vector<torch::Tensor> values{loss.total};
    if (result.term_names.empty()) result.term_names.push_back("loss");
    for (const auto& term : loss.terms) {
      values.push_back(term.value);
      if (result.term_names.size() < values.size()) result.term_names.push_back(term.name);
    }
    auto weighted = torch::stack(values).detach().to(torch::kDouble) * tokens.num_tokens();
    result.weighted_terms = result.weighted_terms.defined() ? result.weighted_terms + weighted : weighted;
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

std::vector<double> global_loss_terms(const StepResult& result, parallel::Communicator& device_comm) {
  auto sums = result.weighted_terms.clone();
  device_comm.all_reduce(sums, parallel::ReduceOp::kSum)->wait();
  auto mean = (sums / static_cast<double>(result.global_tokens)).cpu().contiguous();
  return std::vector<double>(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel());
}

}  // namespace tetra::trainer
