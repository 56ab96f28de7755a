// One optimizer step of the curriculum: one pass over the stage's task cycle (SPEC 4, round-robin
// with gradient accumulation). Every slot of the cycle is one micro-batch of its task on every
// rank: the batches, the global batch's sizes (one exchange), then per slot forward, loss and
// backward through the gradient sync, which reduces during the last backward; its finish clips,
// AdamW steps once, then the parameter gather and the EMA. A slot's loss is weighted by this
// rank's share of the slot and by 1 / slots: the contract is parallel/global_batch.h's, the sync's
// parallel/grad_sync.h's.
#pragma once
#include <torch/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "losses/composer.h"
#include "model/tokenizer.h"
#include "trainer/config/config.h"
#include "trainer/loop/tasks.h"
#include "trainer/state/training_state.h"

namespace tetra::trainer {

// The loss of one task's batch from the composer (losses/composer.h): reconstruction tasks get
// their modality's reconstruction terms and the KL, understanding tasks the semantic terms.
// `data_parallel` carries what the rank's place in the global batch adds to the inputs: every
// rank's text embeddings (semantic negatives then span the global batch) and this rank's share.
losses::LossResult task_loss(losses::LossComposer& composer, const TaskBatch& batch,
                             const model::TokenizerOutput& out, const model::PatchSize& patch, int64_t step,
                             losses::LossInputs data_parallel = {});
model::ForwardOptions task_forward_options(Task task, const ModelConfig& model, at::Generator generator);

// What a step reports. The numbers stay on the device until a log step asks for them, so that a
// GPU step never waits for the host.
struct StepResult {
  std::vector<std::string> names;  // "loss", then every term seen in the cycle ("image/l1", "video/siglip", ...)
  torch::Tensor sums;              // [names] double, this rank's part of the cycle means
  torch::Tensor grad_norm;         // scalar, before clipping
  int64_t global_tokens = 0;
  // Collective over the data-parallel group: the global (all ranks) cycle means, in `names` order.
  std::vector<double> global_values(parallel::Communicator& device_comm) const;
};

// Per parameter of `names`: whether it belongs to a part listed in `freeze` ("encoder, siglip").
std::vector<bool> frozen_parameters(const std::vector<std::string>& names, const std::string& freeze);

// Collective over the data-parallel group.
absl::StatusOr<StepResult> train_step(TrainingState& s, TaskFeeds& feeds, const std::vector<Task>& cycle,
                                      const Config& config);

}  // namespace tetra::trainer
