#include "losses/reconstruction.h"

#include <torch/torch.h>

namespace tetra::losses {

torch::Tensor real_frame_mask(const model::PackedTokens& tokens, const model::PatchSize& patch) {
  std::vector<int64_t> frames;
  for (const auto& g : tokens.grids) frames.push_back(g.frames > 0 ? g.frames : g.t * patch.t);
  auto device = tokens.features.device();
  auto sample_frames = torch::tensor(frames, torch::kInt64).to(device).index_select(0, model::segment_ids(tokens));
  auto first_frame = tokens.coords.select(1, 0).to(torch::kInt64) * patch.t;  // [N]
  auto slot = torch::arange(patch.t, torch::TensorOptions().dtype(torch::kInt64).device(device));
  return ((first_frame.unsqueeze(1) + slot.unsqueeze(0)) < sample_frames.unsqueeze(1)).to(torch::kFloat);
}

torch::Tensor l1_reconstruction(const torch::Tensor& reconstruction, const torch::Tensor& target,
                                const model::PackedTokens& tokens, const model::PatchSize& patch) {
  TORCH_CHECK(reconstruction.sizes() == target.sizes(), "l1_reconstruction: reconstruction ",
              reconstruction.sizes(), " and target ", target.sizes(), " differ");
  const int64_t n = target.size(0);
  // At least float32 (bf16 activations), double stays double (gradient checks).
  const auto dtype = reconstruction.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
  auto mask = real_frame_mask(tokens, patch).to(dtype);  // [N, t]
  auto diff = (reconstruction.to(dtype) - target.to(dtype)).abs().view({n, patch.t, -1});
  auto per_slot = diff.mean(-1);  // every slot holds h*w*c values
  return (per_slot * mask).sum() / mask.sum().clamp_min(1.0);
}

torch::Tensor kl_mean(const torch::Tensor& kl_per_token) { return kl_per_token.mean(); }

}  // namespace tetra::losses
