#include "model/blocks.h"

#include <torch/torch.h>

namespace tetra::model {

EncoderBlockImpl::EncoderBlockImpl(const BlockOptions& o) {
  norm1 = register_module("norm1", LayerNorm32(o.width));
  attn = register_module("attn", SelfAttention(SelfAttentionOptions(o.width, o.heads)
                                                   .bias(true).qk_norm(false).rope_base(o.rope_base)));
  norm2 = register_module("norm2", LayerNorm32(o.width));
  mlp = register_module("mlp", Mlp(o.width, o.mlp_hidden, /*bias=*/true));
}

torch::Tensor EncoderBlockImpl::forward(const torch::Tensor& x, const PackedTokens& layout) {
  auto h = x + attn->forward(norm1->forward(x), layout);
  return h + mlp->forward(norm2->forward(h));
}

DecoderBlockImpl::DecoderBlockImpl(const BlockOptions& o) {
  norm1 = register_module("norm1", RMSNorm32(o.width));
  attn = register_module("attn", SelfAttention(SelfAttentionOptions(o.width, o.heads)
                                                   .bias(false).qk_norm(true).rope_base(o.rope_base)));
  norm2 = register_module("norm2", RMSNorm32(o.width));
  mlp = register_module("mlp", Mlp(o.width, o.mlp_hidden, /*bias=*/false));
}

torch::Tensor DecoderBlockImpl::forward(const torch::Tensor& x, const PackedTokens& layout) {
  auto h = x + attn->forward(norm1->forward(x), layout);
  return h + mlp->forward(norm2->forward(h));
}

}  // namespace tetra::model
