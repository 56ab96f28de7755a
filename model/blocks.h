// Transformer blocks. Encoder: SigLIP style (pre-LayerNorm, biases). Decoder: RMSNorm, QK-norm, no biases.
#pragma once
#include <torch/nn/module.h>

#include "model/attention.h"
#include "model/layers.h"

namespace tetra::model {

struct BlockOptions {
  int64_t width = 0;
  int64_t heads = 0;
  int64_t mlp_hidden = 0;
  double rope_base = 10000.0;
};

class EncoderBlockImpl : public torch::nn::Module {
 public:
  explicit EncoderBlockImpl(const BlockOptions& o);
  torch::Tensor forward(const torch::Tensor& x, const PackedTokens& layout);
  LayerNorm32 norm1{nullptr}, norm2{nullptr};
  SelfAttention attn{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(EncoderBlock);

class DecoderBlockImpl : public torch::nn::Module {
 public:
  explicit DecoderBlockImpl(const BlockOptions& o);
  torch::Tensor forward(const torch::Tensor& x, const PackedTokens& layout);
  RMSNorm32 norm1{nullptr}, norm2{nullptr};
  SelfAttention attn{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(DecoderBlock);

}  // namespace tetra::model
