// Composes the loss of SPEC section 3 from the `loss:` config:
//   total = rec_weight * sum_t w_t L_t (reconstruction terms) + sem_weight * sum_t w_t L_t (semantic
//           terms) + kl_weight * KL,
// with per-modality term weights, every weight a constant or a step schedule. Every term is
// returned separately for logging. The composer owns the frozen networks (never trained, never
// checkpointed) and the SigLIP loss, whose logit scale and bias are trained with the model.
#pragma once
#include <torch/types.h>

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "losses/frozen.h"
#include "losses/loss_options.h"
#include "losses/schedule.h"
#include "losses/terms.h"

namespace tetra::losses {

struct LossTermValue {
  std::string name;     // "<modality>/<term>": "image/lpips", "video/siglip", "image/kl"
  torch::Tensor value;  // scalar, unweighted, still in the autograd graph
  double weight;        // effective multiplier at this step (group weight * term weight)
  // A row block of the global loss (parallel/global_batch.h), weighted 1 instead of share.
  bool global_block = false;
};

struct LossResult {
  torch::Tensor total;  // sum of weight * value * (share, or 1 for a global block); zero when no term ran
  std::vector<LossTermValue> terms;
};

class LossComposer {
 public:
  // Validates the options, loads (or, where the config says so explicitly, randomly initialises)
  // every frozen network that a term with a non-zero weight needs, moves everything to `device`,
  // and writes one line per frozen network to `log` (path and SHA-256, or a RANDOM warning).
  // `siglip`: trainable SigLIP parameters that outlive this composer (a trainer keeps one pair for
  // the whole curriculum, while each stage composes its own losses); null: the composer makes its
  // own from the options when a SigLIP weight is set.
  static absl::StatusOr<std::unique_ptr<LossComposer>> create(const LossOptions& options, const torch::Device& device,
                                                              std::ostream& log, SigLipLoss siglip = nullptr);

  // The terms of `modality` whose inputs are given and whose weight at `step` is not zero.
  LossResult compute(Modality modality, const LossInputs& inputs, int64_t step);

  // Trainable loss parameters (SigLIP logit scale and bias); null when no SigLIP weight is set.
  // The trainer adds them to the optimizer (no weight decay) and to checkpoints.
  SigLipLoss siglip() const { return siglip_; }
  // Frozen networks in use, for frozen_networks.json in the run directory (records_json()).
  const std::vector<FrozenNetworkRecord>& frozen_networks() const { return records_; }
  // The frozen networks themselves, for inspection (tests, benchmarks); never for training.
  const FrozenNetworks& networks() const { return networks_; }

 private:
  enum class Group { kRec, kSem, kKl };
  struct ScheduledTerm {
    std::string name;
    Group group;
    WeightSchedule weight;
    std::shared_ptr<Term> term;
  };
  LossComposer() = default;
  void add_terms(Modality modality, const TermWeights& weights, const LossOptions& options);
  static bool group_has_inputs(Group group, const LossInputs& inputs);

  WeightSchedule rec_weight_, sem_weight_, kl_weight_;
  std::vector<ScheduledTerm> terms_[3];  // indexed by Modality
  FrozenNetworks networks_;
  SigLipLoss siglip_{nullptr};
  std::vector<FrozenNetworkRecord> records_;
};

}  // namespace tetra::losses
