// The two heads on the encoder output: the KL bottleneck (reconstruction path) and the
// attention-pooling head (understanding path).
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/types.h>

#include <optional>

#include "model/layers.h"

namespace tetra::model {

struct GaussianLatent {
  torch::Tensor mean;     // [N, c]
  torch::Tensor logvar;   // [N, c], clamped to [-30, 20]
  torch::Tensor sample;   // mean + sigma * eps, or mean when not sampling
};

// KL divergence to N(0, I) per token: 0.5 * sum_c (mu^2 + sigma^2 - 1 - log sigma^2). [N]
torch::Tensor gaussian_kl_per_token(const torch::Tensor& mean, const torch::Tensor& logvar);

// Linear d -> 2c giving (mu, logvar) per token.
class KLBottleneckImpl : public torch::nn::Module {
 public:
  KLBottleneckImpl(int64_t width, int64_t latent_channels);
  // generator: source of eps (a dedicated generator keeps training reproducible and resumable);
  // sample == false returns the mean as the latent (evaluation).
  GaussianLatent forward(const torch::Tensor& h, bool sample, std::optional<at::Generator> generator);
  torch::nn::Linear proj{nullptr};
  int64_t latent_channels;
};
TORCH_MODULE(KLBottleneck);

// SigLIP MAP head: one learnable probe cross-attends to all tokens of a sample (no RoPE), then
// LayerNorm -> MLP with residual. Output: one L2-normalised embedding per sample, of width d, or of
// width embed_dim through a final linear map when the text encoder's width differs from d (the
// reference pairs the so400m model with a text encoder of its own width, so it has no projection).
class AttentionPoolingImpl : public torch::nn::Module {
 public:
  AttentionPoolingImpl(int64_t width, int64_t heads, int64_t mlp_hidden, int64_t embed_dim = 0);
  torch::Tensor forward(const torch::Tensor& h, const std::vector<int64_t>& offsets);  // [B, d]
  torch::Tensor probe;  // [1, d]
  torch::nn::Linear q_proj{nullptr}, kv_proj{nullptr}, out_proj{nullptr};
  torch::nn::Linear embed_proj{nullptr};  // only when embed_dim != d
  LayerNorm32 norm{nullptr};
  Mlp mlp{nullptr};
  int64_t heads;
};
TORCH_MODULE(AttentionPooling);

}  // namespace tetra::model
