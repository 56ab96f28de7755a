#include "model/attention.h"

#include <torch/torch.h>

#include <cmath>

#include "kernels/rope.h"

namespace tetra::model {
namespace {

bool flash_varlen_usable(const torch::Tensor& q) {
  return q.is_cuda() && (q.scalar_type() == torch::kBFloat16 || q.scalar_type() == torch::kHalf);
}

// Runs of consecutive samples with equal length are stacked into one [B, H, L, D] call: exact,
// no padding, and far fewer kernel calls for image batches, whose samples often share a size.
torch::Tensor attention_by_equal_length_runs(const torch::Tensor& q, const torch::Tensor& k,
                                             const torch::Tensor& v, const PackedTokens& layout) {
  std::vector<torch::Tensor> outputs;
  const auto& off = layout.offsets;
  size_t i = 0;
  while (i + 1 < off.size()) {
    const int64_t len = off[i + 1] - off[i];
    size_t j = i + 1;
    while (j + 1 < off.size() && off[j + 1] - off[j] == len) ++j;
    const int64_t runs = static_cast<int64_t>(j - i);
    auto as_batch = [&](const torch::Tensor& t) {
      return t.narrow(0, off[i], runs * len).view({runs, len, t.size(1), t.size(2)}).transpose(1, 2);
    };
    auto out = at::scaled_dot_product_attention(as_batch(q), as_batch(k), as_batch(v));
    outputs.push_back(out.transpose(1, 2).reshape({runs * len, q.size(1), q.size(2)}));
    i = j;
  }
  return outputs.size() == 1 ? outputs[0] : torch::cat(outputs, 0);
}

}  // namespace

torch::Tensor packed_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const PackedTokens& layout) {
  TORCH_CHECK(q.dim() == 3 && q.sizes() == k.sizes() && q.sizes() == v.sizes(),
              "packed_attention expects q, k, v of equal shape [N, heads, head_dim], got ", q.sizes(),
              ", ", k.sizes(), ", ", v.sizes());
  TORCH_CHECK(q.size(0) == layout.num_tokens(), "packed_attention: ", q.size(0),
              " tokens but the layout holds ", layout.num_tokens());
  if (flash_varlen_usable(q)) {
    auto cu = layout.cu_seqlens.to(q.device(), torch::kInt32);
    auto result = at::_flash_attention_forward(q, k, v, cu, cu, layout.max_seqlen, layout.max_seqlen,
                                               /*dropout_p=*/0.0, /*is_causal=*/false,
                                               /*return_debug_mask=*/false);
    return std::get<0>(result);
  }
  return attention_by_equal_length_runs(q, k, v, layout);
}

SelfAttentionImpl::SelfAttentionImpl(const SelfAttentionOptions& o) : options(o) {
  TORCH_CHECK(o.width() % o.heads() == 0, "attention width ", o.width(), " is not divisible by ",
              o.heads(), " heads");
  const int64_t head_dim = o.width() / o.heads();
  TORCH_CHECK(head_dim % 8 == 0, "4D RoPE needs head_dim divisible by 8, got ", head_dim,
              " (width ", o.width(), " / ", o.heads(), " heads)");
  qkv = register_module("qkv", torch::nn::Linear(torch::nn::LinearOptions(o.width(), 3 * o.width()).bias(o.bias())));
  proj = register_module("proj", torch::nn::Linear(torch::nn::LinearOptions(o.width(), o.width()).bias(o.bias())));
  if (o.qk_norm()) {
    q_gain = register_parameter("q_gain", torch::ones({o.heads(), head_dim}));
    k_gain = register_parameter("k_gain", torch::ones({o.heads(), head_dim}));
  }
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const PackedTokens& layout) {
  const int64_t n = x.size(0), heads = options.heads(), head_dim = options.width() / heads;
  auto parts = qkv->forward(x).view({n, 3, heads, head_dim}).unbind(1);
  auto q = parts[0], k = parts[1], v = parts[2];
  if (options.qk_norm()) {
    // L2-normalise per head in fp32, then a learnable gain per head and channel, times sqrt(hd):
    // the dot product is then bounded, which keeps decoder attention logits from blowing up.
    const double scale = std::sqrt(static_cast<double>(head_dim));
    auto norm = [&](const torch::Tensor& t, const torch::Tensor& gain) {
      auto t32 = torch::nn::functional::normalize(
          t.to(torch::kFloat), torch::nn::functional::NormalizeFuncOptions().dim(-1).eps(1e-6));
      return (t32 * gain.to(torch::kFloat) * scale).to(t.scalar_type());
    };
    q = norm(q, q_gain);
    k = norm(k, k_gain);
  }
  q = kernels::rope4d(q.contiguous(), layout.coords, options.rope_base());
  k = kernels::rope4d(k.contiguous(), layout.coords, options.rope_base());
  auto out = packed_attention(q, k, v.contiguous(), layout);
  return proj->forward(out.reshape({n, options.width()}));
}

}  // namespace tetra::model
