#include "model/blocks.h"

#include <torch/torch.h>

namespace tetra::model {
namespace {

torch::nn::AnyModule make_norm(BlockStyle style, int64_t width) {
  if (style == BlockStyle::kEncoder) return torch::nn::AnyModule(LayerNorm32(width));
  return torch::nn::AnyModule(RMSNorm32(width));
}

}  // namespace

TransformerBlockImpl::TransformerBlockImpl(const BlockOptions& o) {
  const bool encoder = o.style == BlockStyle::kEncoder;
  norm1 = make_norm(o.style, o.width);
  register_module("norm1", norm1.ptr());
  attn = register_module("attn", SelfAttention(SelfAttentionOptions(o.width, o.heads)
                                                   .bias(encoder).qk_norm(!encoder).rope_base(o.rope_base)));
  norm2 = make_norm(o.style, o.width);
  register_module("norm2", norm2.ptr());
  mlp = register_module("mlp", Mlp(o.width, o.mlp_hidden, /*bias=*/encoder));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x, const PackedTokens& layout) {
  auto h = x + attn->forward(norm1.forward(x), layout);
  return h + mlp->forward(norm2.forward(h));
}

}  // namespace tetra::model
