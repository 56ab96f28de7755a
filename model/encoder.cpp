#include "model/encoder.h"

#include <torch/torch.h>

namespace tetra::model {
namespace {

BlockOptions block_options(const TokenizerOptions& o, BlockStyle style) {
  return BlockOptions{style, o.width, o.heads, o.mlp_hidden, o.rope_base};
}

}  // namespace

EncoderImpl::EncoderImpl(const TokenizerOptions& o) {
  patch_embed = register_module("patch_embed", torch::nn::Linear(o.patch.features(), o.width));
  position = register_module("position", PositionTable2D(o.position_grid, o.width));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.depth; ++i)
    blocks->push_back(TransformerBlock(block_options(o, BlockStyle::kEncoder)));
  final_norm = register_module("final_norm", LayerNorm32(o.width));
}

torch::Tensor EncoderImpl::forward(const PackedTokens& tokens) {
  auto x = patch_embed->forward(tokens.features) + position->forward(tokens);
  for (const auto& block : *blocks) x = block->as<TransformerBlock>()->forward(x, tokens);
  return final_norm->forward(x);
}

DecoderImpl::DecoderImpl(const TokenizerOptions& o) {
  latent_in = register_module(
      "latent_in", torch::nn::Linear(torch::nn::LinearOptions(o.latent_channels, o.width).bias(false)));
  position = register_module("position", PositionTable2D(o.position_grid, o.width));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.depth; ++i)
    blocks->push_back(TransformerBlock(block_options(o, BlockStyle::kDecoder)));
  final_norm = register_module("final_norm", RMSNorm32(o.width));
  pixel_head = register_module(
      "pixel_head", torch::nn::Linear(torch::nn::LinearOptions(o.width, o.patch.features()).bias(false)));
}

torch::Tensor DecoderImpl::forward(const torch::Tensor& latents, const PackedTokens& layout) {
  auto x = latent_in->forward(latents) + position->forward(layout);
  for (const auto& block : *blocks) x = block->as<TransformerBlock>()->forward(x, layout);
  return pixel_head->forward(final_norm->forward(x));
}

}  // namespace tetra::model
