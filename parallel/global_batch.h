// A step's global batch: what every data-parallel rank holds of each slot (micro-batch) of the
// step, exchanged once, and from it each rank's share of each slot. The one home of the
// data-parallel weighting contract.
//
// Weighting. A step has `slots` micro-batches (the trainer's task cycle, SPEC 4) and minimises the
// mean over its slots of each slot's loss; a slot's loss is the mean over the slot's global
// micro-batch (every rank's). A rank's loss for a slot is a mean over its own part, so it
// backpropagates loss * share / slots, where share is
//   - tokens / global tokens of the slot, for a slot whose loss is a token mean (reconstruction),
//   - samples / global samples of the slot, for a per-sample mean (understanding);
// gradients are then summed over ranks (parallel/grad_sync.h), which gives the gradient of the
// global mean exactly, however unevenly the ranks' batches are sized, and a task weighs its share
// of the cycle whatever its batch size. The semantic terms (SigLIP, distillation) are the
// exception: every rank scores its own rows against every rank's texts (gather_rows), its value is
// its block of the global loss (losses/semantic.h, row blocks), so it is weighted 1 instead of
// share, and backpropagates with 1 / slots. The loss composer applies share or 1 per term
// (losses::LossInputs::share); the step divides by slots. One rank, one slot: weight 1.
//
// Use, on every rank of the group, the same slots in the same order:
//   auto batch = GlobalBatch::exchange(group, sizes);   // one small all-gather (host)
//   per slot k: batch.share(k); batch.gather_rows(k, text_embeddings)   // understanding slots
#pragma once
#include <torch/types.h>

#include <optional>
#include <vector>

#include "parallel/communicator.h"
#include "parallel/mesh.h"

namespace tetra::parallel {

// What a slot's loss is a mean over, and so what a rank's share of the slot counts.
enum class MeanOver { kTokens, kSamples };

// This rank's micro-batch of one slot.
struct SlotSize {
  int64_t tokens = 0;
  int64_t samples = 0;
  MeanOver mean_over = MeanOver::kTokens;  // the same on every rank
};

class GlobalBatch {
 public:
  // Every rank's sizes of every slot. Collective over `group` (one all-gather through its host
  // communicator, blocking); every rank passes the same number of slots.
  static GlobalBatch exchange(const Group& group, std::vector<SlotSize> local);

  int64_t slots() const { return static_cast<int64_t>(local_.size()); }
  const SlotSize& local(int64_t slot) const;
  // Summed over the group's ranks.
  int64_t global_tokens(int64_t slot) const;
  int64_t global_samples(int64_t slot) const;
  int64_t global_tokens() const;  // over every slot: the step's tokens
  // Rank `rank`'s samples in `slot`: where its rows lie in gather_rows.
  int64_t samples_of(int64_t slot, int rank) const;

  // This rank's part of the slot's global batch, by the slot's MeanOver: local / global.
  double share(int64_t slot) const;

  // Every rank's rows of `slot` ([samples, ...] here, one row per sample: the text embeddings of an
  // understanding slot), in rank order, and where this rank's rows start; collective over the
  // group's device communicator, blocking. In a group of one: nothing, so that the losses score the
  // local rows as a whole batch rather than as a row block of one.
  std::optional<GatheredRows> gather_rows(int64_t slot, const torch::Tensor& rows) const;

 private:
  GlobalBatch(Group group, std::vector<SlotSize> local, torch::Tensor sizes)
      : group_(std::move(group)), local_(std::move(local)), sizes_(std::move(sizes)) {}
  int64_t global(int64_t slot, int64_t column) const;

  Group group_;
  std::vector<SlotSize> local_;
  torch::Tensor sizes_;  // [ranks, 2 * slots] int64, CPU: per slot tokens then samples
};

}  // namespace tetra::parallel
