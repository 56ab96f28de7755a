// One optimizer step of (data-parallel) training: this rank's micro-batches forward and backward,
// each loss weighted by its share of the step's global token count, gradients reduced in buckets
// during the last backward, clipping, AdamW on this rank's (ZeRO-1) shards, parameter gather, EMA.
//
// Weighting by tokens: the loss terms are means over tokens, so the mean over the global batch is
// sum_k(tokens_k * loss_k) / global_tokens. Each micro-batch backpropagates
// loss_k * tokens_k / global_tokens and the reducer sums over ranks: the result is the gradient of
// the global mean however unevenly the tokens fall on ranks and micro-batches (different image
// sizes). With one rank and no accumulation the weight is exactly 1.
#pragma once
#include <torch/types.h>

#include "absl/status/statusor.h"
#include "losses/composer.h"
#include "model/tokenizer.h"
#include "trainer/batches.h"
#include "trainer/config.h"
#include "trainer/training_state.h"

namespace tetra::trainer {

// The image-reconstruction task's loss from the composer (losses/composer.h): every configured term
// of loss.image plus the KL, each reported separately.
losses::LossResult compute_loss(losses::LossComposer& composer, const model::TokenizerOutput& out,
                                const model::PackedTokens& tokens, const model::PatchSize& patch, int64_t step);

struct StepResult {
  std::vector<std::string> term_names;  // "loss", then the composer's terms ("image/l1", "image/kl", ...)
  torch::Tensor weighted_terms;  // [1 + terms] on the device: sum over this rank's micro-batches of value x tokens
  int64_t global_tokens = 0;     // over every rank and micro-batch of the step
  torch::Tensor grad_norm;       // 0-dim, before clipping
};

// Advances state.step and state.cursor.
absl::StatusOr<StepResult> train_step(TrainingState& state, ImageBatcher& batcher, const Config& config,
                                      const BatchPlan& plan, torch::Device device);

// The step's loss and every term over the global batch, aligned with term_names (collective: every
// rank calls it at the same steps; it syncs the device, so the trainer calls it only when it logs).
std::vector<double> global_loss_terms(const StepResult& result, parallel::Communicator& device_comm);

}  // namespace tetra::trainer
