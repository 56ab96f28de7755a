#include "losses/reconstruction.h"

#include <torch/torch.h>

namespace tetra::losses {
namespace {

// Frame slots [0, k) of a token can hold a real frame; later ones are padding in every token. An
// image-only batch has k = 1 of patch.t, so L1 reads a quarter of the values. (A sample's real
// frames are its leading ones, and only images have fewer than patch.t.)
int64_t leading_real_slots(const model::PackedTokens& tokens, const model::PatchSize& patch) {
  int64_t k = 1;
  for (const auto& g : tokens.grids) k = std::max(k, g.frames > 0 ? std::min(g.frames, patch.t) : patch.t);
  return k;
}

}  // namespace

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
  const int64_t slots = leading_real_slots(tokens, patch);
  auto mask = real_frame_mask(tokens, patch).narrow(1, 0, slots).to(dtype);  // [N, slots]
  auto leading = [&](const torch::Tensor& x) { return x.to(dtype).reshape({n, patch.t, -1}).narrow(1, 0, slots); };
  auto per_slot = (leading(reconstruction) - leading(target)).abs().mean(-1);  // every slot holds h*w*c values
  return (per_slot * mask).sum() / mask.sum().clamp_min(1.0);
}

torch::Tensor kl_mean(const torch::Tensor& kl_per_token) { return kl_per_token.mean(); }

}  // namespace tetra::losses
