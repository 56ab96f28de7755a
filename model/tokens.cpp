#include "model/tokens.h"

#include <torch/torch.h>

namespace tetra::model {

PackedTokens PackedTokens::to(const torch::Device& device) const {
  PackedTokens out = *this;
  out.features = features.to(device);
  out.coords = coords.to(device);
  out.cu_seqlens = cu_seqlens.to(device);
  return out;
}

SampleTokens patchify(const torch::Tensor& frames, const PatchSize& p) {
  TORCH_CHECK(frames.dim() == 4, "patchify expects frames [T, H, W, C], got ", frames.sizes());
  auto T = frames.size(0), H = frames.size(1), W = frames.size(2), C = frames.size(3);
  TORCH_CHECK(C == p.c, "patchify: frames have ", C, " channels, patch expects ", p.c);
  TORCH_CHECK(H % p.h == 0 && W % p.w == 0, "patchify: size ", H, "x", W,
              " is not a multiple of the patch ", p.h, "x", p.w, " (crop first)");
  torch::Tensor video = frames;
  const int64_t real_frames = T;
  if (T == 1 && p.t > 1) {
    // Images become a p.t-frame clip whose extra frames are zeros (mid-grey in [-1, 1]).
    video = torch::cat({frames, torch::zeros({p.t - 1, H, W, C}, frames.options())}, 0);
    T = p.t;
  }
  TORCH_CHECK(T % p.t == 0, "patchify: ", T, " frames is not a multiple of the temporal patch ", p.t);
  SampleGrid g{T / p.t, H / p.h, W / p.w, real_frames};
  auto features = video.reshape({g.t, p.t, g.h, p.h, g.w, p.w, C})
                      .permute({0, 2, 4, 1, 3, 5, 6})
                      .reshape({g.tokens(), p.features()});
  auto opts = torch::TensorOptions().dtype(torch::kInt32).device(frames.device());
  auto tt = torch::arange(g.t, opts).view({-1, 1, 1}).expand({g.t, g.h, g.w});
  auto xx = torch::arange(g.h, opts).view({1, -1, 1}).expand({g.t, g.h, g.w});
  auto yy = torch::arange(g.w, opts).view({1, 1, -1}).expand({g.t, g.h, g.w});
  auto coords = torch::stack({tt, xx, yy, torch::zeros_like(tt)}, -1).reshape({g.tokens(), 4});
  return {features.contiguous(), coords.contiguous(), g};
}

torch::Tensor unpatchify(const torch::Tensor& features, const SampleGrid& g, const PatchSize& p) {
  TORCH_CHECK(features.dim() == 2 && features.size(0) == g.tokens() && features.size(1) == p.features(),
              "unpatchify: features ", features.sizes(), " do not match grid ", g.t, "x", g.h, "x",
              g.w, " with ", p.features(), " values per patch");
  return features.reshape({g.t, g.h, g.w, p.t, p.h, p.w, p.c})
      .permute({0, 3, 1, 4, 2, 5, 6})
      .reshape({g.t * p.t, g.h * p.h, g.w * p.w, p.c});
}

PackedTokens pack(const std::vector<SampleTokens>& samples) {
  TORCH_CHECK(!samples.empty(), "pack: no samples");
  PackedTokens out;
  std::vector<torch::Tensor> features, coords;
  out.offsets.push_back(0);
  for (const auto& s : samples) {
    features.push_back(s.features);
    coords.push_back(s.coords);
    out.grids.push_back(s.grid);
    out.offsets.push_back(out.offsets.back() + s.features.size(0));
    out.max_seqlen = std::max(out.max_seqlen, s.features.size(0));
  }
  out.features = torch::cat(features, 0);
  out.coords = torch::cat(coords, 0);
  out.cu_seqlens = torch::tensor(out.offsets, torch::kInt64).to(torch::kInt32).to(out.features.device());
  return out;
}

torch::Tensor segment_ids(const PackedTokens& packed) {
  auto lengths = torch::tensor(packed.offsets, torch::kInt64).diff();
  auto ids = torch::repeat_interleave(torch::arange(packed.num_samples()), lengths);
  return ids.to(packed.features.device());
}

}  // namespace tetra::model
