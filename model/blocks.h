// The transformer block, in its two styles (SPEC section 2):
//   encoder (SigLIP): pre-LayerNorm, attention and MLP with biases, no QK-norm;
//   decoder:          pre-RMSNorm, no biases anywhere, per-head QK-norm.
// Both: x + attn(norm1(x)) with 4D RoPE over packed samples, then x + mlp(norm2(x)).
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>

#include "model/attention.h"
#include "model/layers.h"

namespace tetra::model {

enum class BlockStyle { kEncoder, kDecoder };

struct BlockOptions {
  BlockStyle style = BlockStyle::kEncoder;
  int64_t width = 0;
  int64_t heads = 0;
  int64_t mlp_hidden = 0;
  double rope_base = 10000.0;
};

class TransformerBlockImpl : public torch::nn::Module {
 public:
  explicit TransformerBlockImpl(const BlockOptions& o);
  torch::Tensor forward(const torch::Tensor& x, const PackedTokens& layout);
  torch::nn::AnyModule norm1, norm2;  // LayerNorm32 (encoder) or RMSNorm32 (decoder)
  SelfAttention attn{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(TransformerBlock);

}  // namespace tetra::model
