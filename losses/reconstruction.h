// Reconstruction and KL terms of SPEC section 3 (issue "losses" adds the perceptual ones).
#pragma once
#include <torch/types.h>

#include "model/tokens.h"

namespace tetra::losses {

// [N, patch.t] float mask: 1 where a patch's frame slot holds a real frame, 0 for the zero-padded
// frames of images (SPEC: after decoding only frame 0 of an image is kept, so only it is scored).
torch::Tensor real_frame_mask(const model::PackedTokens& tokens, const model::PatchSize& patch);

// Mean absolute error over the real pixels of every token (averaged, not summed).
torch::Tensor l1_reconstruction(const torch::Tensor& reconstruction, const torch::Tensor& target,
                                const model::PackedTokens& tokens, const model::PatchSize& patch);

// Mean over tokens of the per-token KL (model::gaussian_kl_per_token).
torch::Tensor kl_mean(const torch::Tensor& kl_per_token);

}  // namespace tetra::losses
