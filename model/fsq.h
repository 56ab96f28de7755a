// Finite scalar quantisation (SPEC section 2, stage 4): the latent mean's channels are split into
// groups; each channel is bounded, rounded to one of `levels` values with a straight-through
// gradient, and each group's codes form one index into a levels^dims codebook.
#pragma once
#include <torch/types.h>

#include "model/options.h"  // FsqOptions

namespace tetra::model {

struct FsqOutput {
  torch::Tensor codes;    // [N, C] float32 in {-1, -0.5, 0, 0.5} for 4 levels; straight-through grad
  torch::Tensor indices;  // [N, groups] int64 in [0, codebook_size)
};

// bound(z) = tanh(z + atanh(offset / half)) * half - offset, half = (L-1)(1+1e-3)/2,
// offset = 0.5 for even L: maps R onto (-L/2 - eps, L/2 - 1 + eps) so rounding hits exactly
// L integers; z = 0 maps to 0. Computed in fp32.
torch::Tensor fsq_bound(const torch::Tensor& z, int64_t levels);

FsqOutput fsq_quantize(const torch::Tensor& z, const FsqOptions& options);

// Inverse of the index computation: [N, groups] -> [N, C] codes.
torch::Tensor fsq_codes_from_indices(const torch::Tensor& indices, const FsqOptions& options);

struct CodebookStats {
  double usage = 0;       // fraction of codebook entries used at least once (mean over groups)
  double perplexity = 0;  // exp(entropy) of the index histogram (mean over groups)
};
// indices: [N, groups] -> the code histogram per group, [groups, codebook_size] double, on the
// indices' device. Histograms add up, so data-parallel ranks sum theirs before the statistics.
torch::Tensor codebook_counts(const torch::Tensor& indices, const FsqOptions& options);
// Per group (row of `counts`): usage and perplexity.
std::vector<CodebookStats> codebook_stats(const torch::Tensor& counts);
// indices: [N, groups]. Per-group statistics.
std::vector<CodebookStats> codebook_stats_per_group(const torch::Tensor& indices, const FsqOptions& options);

}  // namespace tetra::model
