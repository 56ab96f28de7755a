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
  std::vector<int64_t> lengths;
  for (int64_t s = 0; s < tokens.num_samples(); ++s) lengths.push_back(tokens.offsets[s + 1] - tokens.offsets[s]);
  // One split, not a narrow per sample: narrow's backward writes a zero tensor the size of all of
  // `features` for every sample (quadratic in the batch), split's backward concatenates once.
  const auto pieces = features.split_with_sizes(lengths, 0);
  std::vector<torch::Tensor> images;
  for (int64_t s = 0; s < tokens.num_samples(); ++s) {
    const auto& grid = tokens.grids[s];
    const int64_t frames = grid.t * patch.t, real = grid.frames > 0 ? grid.frames : frames;
    torch::Tensor video;
    if (grid.t == 1 && real < patch.t) {
      // A token holds its frames in (t, h, w, c) order, so the real frames of a one-frame-patch sample
      // (an image: 1 of 4) are the leading values of every token; skip unpacking the zero padding.
      auto sub = patch;
      sub.t = real;
      video = model::unpatchify(pieces[s].narrow(1, 0, sub.features()), grid, sub);
    } else {
      video = model::unpatchify(pieces[s], grid, patch).narrow(0, 0, real);  // [T, H, W, C]
    }
    images.push_back(resize_square(video.permute({0, 3, 1, 2}), side));
  }
  return torch::cat(images, 0);
}

}  // namespace tetra::losses
