// Multi-head self-attention over packed sequences, with 4D RoPE and optional per-head QK-norm.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include "model/tokens.h"

namespace tetra::model {

// Exact attention over a packed batch: token i attends only to tokens of its own sample.
// q, k, v: [N, heads, head_dim]. On CUDA with bf16/fp16 inputs this is one variable-length flash
// attention call; otherwise samples are processed in runs of equal length, each run one batched
// scaled_dot_product_attention (no padding, no mask).
torch::Tensor packed_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const PackedTokens& layout);

struct SelfAttentionOptions {
  SelfAttentionOptions(int64_t width, int64_t heads) : width_(width), heads_(heads) {}
  TORCH_ARG(int64_t, width);
  TORCH_ARG(int64_t, heads);
  TORCH_ARG(bool, bias) = true;      // SigLIP encoder: biases; decoder: none
  TORCH_ARG(bool, qk_norm) = false;  // decoder: L2-normalise q, k per head, learnable gain, x sqrt(hd)
  TORCH_ARG(double, rope_base) = 10000.0;
};

class SelfAttentionImpl : public torch::nn::Module {
 public:
  explicit SelfAttentionImpl(const SelfAttentionOptions& options);
  // x: [N, width]; RoPE uses layout.coords.
  torch::Tensor forward(const torch::Tensor& x, const PackedTokens& layout);

  SelfAttentionOptions options;
  torch::nn::Linear qkv{nullptr}, proj{nullptr};
  torch::Tensor q_gain, k_gain;  // [heads, head_dim], only with qk_norm
};
TORCH_MODULE(SelfAttention);

}  // namespace tetra::model
