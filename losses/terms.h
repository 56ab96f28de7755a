// One small object per loss term (flashlight style). A term reads what it needs from a TermContext,
// which builds the shared intermediates (resized image batches, VGG features) once per call, so
// LPIPS and Gram share one VGG pass and the targets' pass runs without autograd.
#pragma once
#include <torch/types.h>

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "losses/image_encoder.h"
#include "losses/perceptual.h"
#include "losses/semantic.h"
#include "losses/vgg.h"
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
};

// The frozen networks; a member is empty when no term with a non-zero weight needs it.
struct FrozenNetworks {
  Vgg16Features vgg{nullptr};
  LpipsHeads lpips_heads{nullptr};
  int64_t vgg_resolution = 224;
  std::optional<FrozenImageEncoder> clip;
  std::optional<FrozenImageEncoder> teacher;
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

class L1Term : public Term {
 public:
  torch::Tensor compute(TermContext& context) override;
};

class KlTerm : public Term {
 public:
  torch::Tensor compute(TermContext& context) override;
};

class LpipsTerm : public Term {
 public:
  torch::Tensor compute(TermContext& context) override;
};

class GramTerm : public Term {
 public:
  torch::Tensor compute(TermContext& context) override;
};

class ClipTerm : public Term {
 public:
  torch::Tensor compute(TermContext& context) override;
};

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
