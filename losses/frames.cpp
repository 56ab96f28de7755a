#include "losses/frames.h"

#include <torch/torch.h>

namespace tetra::losses {

torch::Tensor resize_square(const torch::Tensor& images, int64_t side) {
  if (images.size(2) == side && images.size(3) == side) return images;
  namespace F = torch::nn::functional;
  return F::interpolate(images, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{side, side})
                                    .mode(torch::kBilinear)
                                    .align_corners(false)
                                    .antialias(true));
}

torch::Tensor frames_as_images(const torch::Tensor& features, const model::PackedTokens& tokens,
                               const model::PatchSize& patch, int64_t side) {
  TORCH_CHECK(features.dim() == 2 && features.size(0) == tokens.num_tokens(), "frames_as_images: features ",
              features.sizes(), " do not match the ", tokens.num_tokens(), " packed tokens");
  std::vector<torch::Tensor> images;
  for (int64_t s = 0; s < tokens.num_samples(); ++s) {
    const auto& grid = tokens.grids[s];
    const int64_t start = tokens.offsets[s], count = tokens.offsets[s + 1] - start;
    auto frames = model::unpatchify(features.narrow(0, start, count), grid, patch);  // [T, H, W, C]
    const int64_t real = grid.frames > 0 ? grid.frames : frames.size(0);
    images.push_back(resize_square(frames.narrow(0, 0, real).permute({0, 3, 1, 2}), side));
  }
  return torch::cat(images, 0);
}

}  // namespace tetra::losses
