// Encoder: patch embedding (Linear F -> d, bias) + learned 2D position table, SigLIP-style blocks,
// final LayerNorm. Output: one width-d vector per token.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>

#include "model/blocks.h"
#include "model/options.h"

namespace tetra::model {

class EncoderImpl : public torch::nn::Module {
 public:
  explicit EncoderImpl(const TokenizerOptions& o);
  torch::Tensor forward(const PackedTokens& tokens);
  torch::nn::Linear patch_embed{nullptr};
  PositionTable2D position{nullptr};
  torch::nn::ModuleList blocks;
  LayerNorm32 final_norm{nullptr};
};
TORCH_MODULE(Encoder);

// Decoder: Linear latent -> d (no bias) + its own position table, RMSNorm/QK-norm blocks, and the
// pixel head RMSNorm -> Linear d -> F (raw pixels, no activation).
class DecoderImpl : public torch::nn::Module {
 public:
  explicit DecoderImpl(const TokenizerOptions& o);
  torch::Tensor forward(const torch::Tensor& latents, const PackedTokens& layout);
  torch::nn::Linear latent_in{nullptr};
  PositionTable2D position{nullptr};
  torch::nn::ModuleList blocks;
  RMSNorm32 final_norm{nullptr};
  torch::nn::Linear pixel_head{nullptr};
};
TORCH_MODULE(Decoder);

}  // namespace tetra::model
