// Packed 4D token batches (SPEC section 1): a batch is one concatenated token list with per-sample
// offsets (cu_seqlens); attention never crosses samples and there is no padding.
#pragma once
#include <torch/types.h>

#include <vector>

#include "common/patch.h"

namespace tetra::model {

// Patch extent per axis (common/patch.h, shared with data's torch-free patchify).
using common::PatchSize;

// Patches per axis of one sample: latent frames, rows, columns.
struct SampleGrid {
  int64_t t = 1;
  int64_t h = 1;
  int64_t w = 1;
  int64_t frames = 0;  // real (not zero-padded) frames; 0 means all t * patch.t are real
  int64_t tokens() const { return t * h * w; }
};

// One sample's tokens before packing.
struct SampleTokens {
  torch::Tensor features;  // [n, F]
  torch::Tensor coords;    // [n, 4] int32 (t, x=row, y=column, z)
  SampleGrid grid;
};

struct PackedTokens {
  torch::Tensor features;    // [N, F]
  torch::Tensor coords;      // [N, 4] int32
  torch::Tensor cu_seqlens;  // [B+1] int32, on the same device as features
  std::vector<int64_t> offsets;  // host copy of cu_seqlens
  std::vector<SampleGrid> grids;
  int64_t max_seqlen = 0;

  int64_t num_samples() const { return static_cast<int64_t>(grids.size()); }
  int64_t num_tokens() const { return offsets.empty() ? 0 : offsets.back(); }
  PackedTokens to(const torch::Device& device) const;
};

// frames: [T, H, W, C] float, H % p.h == 0, W % p.w == 0, C == p.c. T == 1 is an image: it is
// zero-padded to p.t frames (temporal zero-padding). Otherwise T must be a multiple of p.t.
SampleTokens patchify(const torch::Tensor& frames, const PatchSize& patch);

// Inverse of patchify: [grid.t * p.t, grid.h * p.h, grid.w * p.w, C]. For an image keep frame 0.
torch::Tensor unpatchify(const torch::Tensor& features, const SampleGrid& grid, const PatchSize& patch);

// Concatenates samples; `grids` and `offsets` are kept on the host for per-sample work.
PackedTokens pack(const std::vector<SampleTokens>& samples);

// Sample index of every token, [N] int64, on the device of `packed.features`.
torch::Tensor segment_ids(const PackedTokens& packed);

}  // namespace tetra::model
