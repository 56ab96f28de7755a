#include "trainer/loop/step.h"

#include <torch/torch.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_cat.h"
#include "parallel/global_batch.h"
#include "parallel/grad_sync.h"

namespace tetra::trainer {

model::ForwardOptions task_forward_options(Task task, const ModelConfig& model, at::Generator generator) {
  model::ForwardOptions run;
  run.generator = generator;
  run.sample_latent = model.sample_latent;
  run.pooled = is_understanding(task);
  run.decode = !is_understanding(task);
  return run;
}

losses::LossResult task_loss(losses::LossComposer& composer, const TaskBatch& batch,
                             const model::TokenizerOutput& out, const model::PatchSize& patch, int64_t step,
                             losses::LossInputs data_parallel) {
  losses::LossInputs inputs = std::move(data_parallel);
  inputs.patch = patch;
  inputs.targets = &batch.tokens;  // understanding tasks too: the distillation teacher sees the inputs
  if (is_understanding(batch.task)) {
    inputs.pooled = out.pooled;
    inputs.text_embeddings = batch.text_embeddings;
  } else {
    inputs.reconstruction = out.reconstruction;
    inputs.kl_per_token = out.kl_per_token;
  }
  return composer.compute(task_modality(batch.task), inputs, step);
}

namespace {

// An understanding batch without text embeddings could never be scored: name the cause.
absl::Status missing_text(const TaskBatch& batch, const Config& config, int64_t stage) {
  const std::string task = task_name(batch.task);
  return absl::FailedPreconditionError(absl::StrCat(
      "task ", task, " of stage '", config.stages[static_cast<size_t>(stage)].name, "' needs text embeddings, but a "
      "batch of its data has samples without one: attach captions with `tetra-data pack captions --text-encoder ...`, "
      "or set stages.", stage, ".tasks.", task, ".share to 0"));
}

}  // namespace

std::vector<bool> frozen_parameters(const std::vector<std::string>& names, const std::string& freeze) {
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(freeze, ',', absl::SkipWhitespace()))
    parts.emplace_back(absl::StripAsciiWhitespace(part));
  std::vector<bool> frozen;
  for (const auto& name : names) {
    const std::string part = part_of(name);
    frozen.push_back(!part.empty() && std::find(parts.begin(), parts.end(), part) != parts.end());
  }
  return frozen;
}

absl::StatusOr<StepResult> train_step(TrainingState& s, TaskFeeds& feeds, const std::vector<Task>& cycle,
                                      const Config& config) {
  // Every slot's batch first: the global batch's sizes set every micro-batch's weight before any
  // backward (parallel/global_batch.h).
  std::vector<TaskBatch> micro;
  std::vector<parallel::SlotSize> sizes;
  for (Task task : cycle) {
    auto batch = feeds.next(task);
    if (!batch.ok()) return batch.status();
    const bool understanding = is_understanding(task);
    if (understanding && !batch->text_embeddings.defined()) return missing_text(*batch, config, s.stage);
    sizes.push_back({batch->tokens.num_tokens(), batch->tokens.num_samples(),
                     understanding ? parallel::MeanOver::kSamples : parallel::MeanOver::kTokens});
    micro.push_back(std::move(*batch));
  }
  parallel::DataParallel& dp = *s.dp;
  parallel::GradSync& sync = dp;
  const auto global = parallel::GlobalBatch::exchange(dp.group(), std::move(sizes));
  const StageConfig& stage = config.stages[static_cast<size_t>(s.stage)];
  s.optimizer.set_step(stage.optim, s.stage_step, stage.steps);
  const model::PatchSize patch = patch_size(config.model);
  const torch::Device device = dp.params()[0].device();

  StepResult result;
  result.names.push_back("loss");
  result.global_tokens = global.global_tokens();
  const auto on_device = torch::TensorOptions().dtype(torch::kDouble).device(device);
  std::vector<torch::Tensor> sums{torch::zeros({}, on_device)};
  const double slots = static_cast<double>(cycle.size());
  sync.begin_step(static_cast<int64_t>(cycle.size()));
  for (size_t k = 0; k < micro.size(); ++k) {
    TaskBatch& batch = micro[k];
    const bool understanding = is_understanding(batch.task);
    batch.tokens = batch.tokens.to(device);
    if (batch.text_embeddings.defined()) batch.text_embeddings = batch.text_embeddings.to(device);
    losses::LossInputs data_parallel;
    data_parallel.share = global.share(static_cast<int64_t>(k));
    if (understanding) {
      if (auto texts = global.gather_rows(static_cast<int64_t>(k), batch.text_embeddings)) {
        data_parallel.global_text_embeddings = texts->all;
        data_parallel.global_first_row = texts->first_row;
      }
    }
    auto out = s.model->forward(batch.tokens, task_forward_options(batch.task, config.model, s.latent_rng));
    auto loss = task_loss(*s.losses, batch, out, patch, s.stage_step, data_parallel);
    const double own_slots = static_cast<double>(
        std::count_if(micro.begin(), micro.end(), [&](const TaskBatch& b) { return b.task == batch.task; }));
    // The composer's total is this rank's part of the slot's global loss; the step averages slots.
    auto total = slots == 1.0 ? loss.total : loss.total / slots;
    sums[0] = sums[0] + total.detach().to(torch::kDouble);
    for (const auto& term : loss.terms) {
      auto found = std::find(result.names.begin(), result.names.end(), term.name);
      const size_t i = static_cast<size_t>(found - result.names.begin());
      if (found == result.names.end()) {
        result.names.push_back(term.name);
        sums.push_back(torch::zeros({}, on_device));
      }
      // Logged: weighted like the total, summed over ranks at a log step, a term's values give its
      // global mean over the slots it ran in (a global block is already the global value).
      const double part = term.global_block ? 1.0 : data_parallel.share;
      sums[i] = sums[i] + term.value.detach().to(torch::kDouble) * (part / own_slots);
    }
    // Every weight of the task may be zero at this step (a schedule): backward a zero through the
    // graph anyway, so that every rank runs the same reductions.
    if (!total.requires_grad()) total = (understanding ? out.pooled : out.reconstruction).sum() * 0.0;
    sync.backward(total);
  }
  result.grad_norm = sync.finish(config.optim.grad_clip);
  // A frozen part is skipped like a parameter without a gradient: value and AdamW state unchanged.
  const auto frozen = frozen_parameters(dp.names(), stage.freeze);
  s.optimizer.adamw->step(sync.owned_shards(), [&](int64_t p) { return !sync.used(p) || frozen[p]; });
  sync.gather_parameters();
  s.ema->update();
  s.cursors = feeds.cursors();
  ++s.step;
  ++s.stage_step;

  result.sums = torch::stack(sums);
  return result;
}

std::vector<double> StepResult::global_values(parallel::Communicator& device_comm) const {
  auto all = sums.clone();
  device_comm.all_reduce(all, parallel::ReduceOp::kSum)->wait();
  all = all.cpu().contiguous();
  return std::vector<double>(all.data_ptr<double>(), all.data_ptr<double>() + all.numel());
}

}  // namespace tetra::trainer
