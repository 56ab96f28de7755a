// Held-out evaluation (issue: curriculum): reconstruction quality per modality (L1, PSNR, SSIM;
// 3D through the voxel features, since the splat decoder does not exist yet), zero-shot retrieval
// from pooled embeddings against the stored text embeddings (R@1, R@5 both ways), and, for a
// discrete latent, FSQ codebook usage and perplexity. Shared out over the data-parallel ranks.
#pragma once
#include <torch/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/modality.h"
#include "losses/semantic.h"
#include "model/tokenizer.h"
#include "parallel/communicator.h"
#include "trainer/config/config.h"

namespace tetra::trainer {

struct HeldoutBatch {
  model::PackedTokens tokens;
  torch::Tensor text_embeddings;  // [B, D], undefined when the samples carry none
};

struct HeldoutSet {
  common::Modality modality = common::Modality::kImage;
  std::vector<HeldoutBatch> batches;
  int64_t samples = 0;
  std::vector<std::string> labels;  // "<shard path>#<index>" per sample, in order
};

// The modalities stage `stage`'s tasks read.
std::vector<common::Modality> stage_modalities(const Config& config, size_t stage);
// The first data.heldout_samples held-out samples (each at most once) of each of `modalities` that
// has held-out shards, at stage `stage`'s resolution, on `device`.
absl::StatusOr<std::vector<HeldoutSet>> load_heldout(const Config& config, size_t stage,
                                                     const std::vector<common::Modality>& modalities, torch::Device device);

struct Comparison {  // input vs reconstruction, [T, H, W, 3] in [-1, 1], for TensorBoard grids
  std::vector<torch::Tensor> inputs, reconstructions;
  std::vector<torch::Tensor> views;  // meshes: the stored rendered views [V, R, R, 3] of the same assets
};

struct EvalResult {
  std::vector<std::pair<std::string, double>> metrics;  // "eval/image/psnr", "eval/video/t2v_r1", ...
  std::map<std::string, Comparison> comparisons;        // by modality name; rank 0 only
};

// Collective over `host`. Decodes the posterior mean (no noise), so numbers compare across steps.
// Keys are prefixed with `prefix` ("eval" or "eval_ema"). With `siglip` (the trained scale and
// bias) the understanding task's held-out loss is reported too ("eval/video/siglip").
EvalResult evaluate(model::Tokenizer& model, const std::vector<HeldoutSet>& sets, const model::PatchSize& patch,
                    parallel::Communicator& host, const std::string& prefix, int64_t comparisons = 0,
                    losses::SigLipLoss siglip = nullptr);

// The metrics as a table, one row per modality: what the trainer prints and tetra-eval reports
// (FSQ's per-group numbers, "eval/image/fsq_group3/perplexity", stay out of it).
std::string format_eval_table(const std::vector<std::pair<std::string, double>>& metrics);

}  // namespace tetra::trainer
