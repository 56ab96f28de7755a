// Packed tokens back to an image batch for the losses that work on pictures (LPIPS, Gram,
// CLIP-perceptual, the teacher): every real frame of every sample, resized to a square side.
#pragma once
#include <torch/types.h>

#include "model/tokens.h"

namespace tetra::losses {

// features: [N, F] (the reconstruction, or the targets' features) laid out like `tokens`.
// Returns [M, C, side, side] where M counts the real frames (1 per image, the unpadded frames of a
// video). Bilinear with antialiasing when shrinking; a frame already side x side is passed through.
// Differentiable with respect to `features`.
torch::Tensor frames_as_images(const torch::Tensor& features, const model::PackedTokens& tokens,
                               const model::PatchSize& patch, int64_t side);

// Bilinear resize of [B, C, H, W] to [B, C, side, side] (align_corners=false, antialias=true).
torch::Tensor resize_square(const torch::Tensor& images, int64_t side);

}  // namespace tetra::losses
