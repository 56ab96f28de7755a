// One small object per loss term (flashlight style). A term reads what it needs from a TermContext,
// which builds the shared intermediates (resized image batches, VGG features) once per call, so
// LPIPS and Gram share one VGG pass and the targets' pass runs without autograd.
#pragma once
#include <torch/types.h>

#include <map>
#include <memory>
#include <vector>

#include "losses/frozen_networks.h"
#include "losses/semantic.h"
#include "model/tokens.h"

namespace tetra::losses {

// What the model produced and what it should have produced for one batch of one modality. A group
// of terms runs only when its inputs are given: reconstruction terms need `reconstruction` (and
// `targets`), the KL term `kl_per_token`, semantic terms `pooled` and `text_embeddings`.
struct LossInputs {
  const model::PackedTokens* targets = nullptr;  // ground-truth tokens (targets->features is the target)
  model::PatchSize patch;
  torch::Tensor reconstruction;      // [N, F], laid out like *targets
  torch::Tensor kl_per_token;        // [N] (model::gaussian_kl_per_token)
  torch::Tensor pooled;              // [B, D] student embeddings (the attention-pooling head)
  torch::Tensor text_embeddings;     // [B, D] from the frozen text encoder, precomputed
  torch::Tensor teacher_embeddings;  // [B, D] when loss.teacher.source is "batch"
  // Data parallel (the contract: parallel/global_batch.h): every rank's text embeddings [B_all, D],
  // this rank's at rows [global_first_row, + B), for the semantic terms' row blocks.
  torch::Tensor global_text_embeddings;
  int64_t global_first_row = 0;
  double share = 1.0;  // this rank's part of the global batch; 1 in one process
};

class TermContext {
 public:
  TermContext(const LossInputs& inputs, FrozenNetworks& networks) : inputs(inputs), networks(networks) {}
  // Every real frame as [M, 3, side, side]: the reconstruction (differentiable) or the targets.
  const torch::Tensor& images(bool reconstruction, int64_t side);
  // VGG16 features of images(reconstruction, vgg_resolution); the targets' without autograd.
  const std::vector<torch::Tensor>& vgg_features(bool reconstruction);

  const LossInputs& inputs;
  FrozenNetworks& networks;

 private:
  std::map<std::pair<bool, int64_t>, torch::Tensor> images_;
  std::map<bool, std::vector<torch::Tensor>> vgg_;
};

class Term {
 public:
  virtual ~Term() = default;
  virtual torch::Tensor compute(TermContext& context) = 0;  // scalar, unweighted
};

// A term that is a function of the context alone (no settings, no state of its own).
class FunctionTerm : public Term {
 public:
  explicit FunctionTerm(torch::Tensor (*fn)(TermContext&)) : fn_(fn) {}
  torch::Tensor compute(TermContext& context) override { return fn_(context); }
 private:
  torch::Tensor (*fn_)(TermContext&);
};

torch::Tensor l1_term(TermContext& context);     // L1 of the reconstruction at native resolution
torch::Tensor kl_term(TermContext& context);     // mean KL per token
torch::Tensor lpips_term(TermContext& context);  // LPIPS over every real frame
torch::Tensor gram_term(TermContext& context);   // Gram loss over every real frame
torch::Tensor clip_term(TermContext& context);   // CLIP-perceptual cosine distance

class DistillTerm : public Term {
 public:
  DistillTerm(double temperature, double scale) : temperature_(temperature), scale_(scale) {}
  torch::Tensor compute(TermContext& context) override;
 private:
  double temperature_, scale_;
};

class SigLipTerm : public Term {
 public:
  explicit SigLipTerm(SigLipLoss loss) : loss_(std::move(loss)) {}
  torch::Tensor compute(TermContext& context) override;
 private:
  SigLipLoss loss_;
};

}  // namespace tetra::losses
