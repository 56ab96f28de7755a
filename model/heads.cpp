#include "model/heads.h"

#include <torch/torch.h>

namespace tetra::model {

torch::Tensor gaussian_kl_per_token(const torch::Tensor& mean, const torch::Tensor& logvar) {
  return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1);
}

KLBottleneckImpl::KLBottleneckImpl(int64_t width, int64_t channels) : latent_channels(channels) {
  proj = register_module("proj", torch::nn::Linear(width, 2 * channels));
}

GaussianLatent KLBottleneckImpl::forward(const torch::Tensor& h, bool sample,
                                         std::optional<at::Generator> generator) {
  auto stats = proj->forward(h).to(torch::kFloat);
  auto mean = stats.narrow(-1, 0, latent_channels);
  // Clamping keeps exp(logvar) finite early in training, as in the usual diagonal-Gaussian VAE.
  auto logvar = stats.narrow(-1, latent_channels, latent_channels).clamp(-30.0, 20.0);
  if (!sample) return {mean, logvar, mean};
  // Noise is drawn on the generator's device (the trainer keeps a CPU generator) and moved: the
  // same seed then gives the same latents on CPU and GPU, and resuming needs only that one state.
  auto noise_device = generator ? generator->device() : mean.device();
  auto eps = at::normal(0.0, 1.0, mean.sizes(), generator, mean.options().device(noise_device)).to(mean.device());
  return {mean, logvar, mean + (0.5 * logvar).exp() * eps};
}

AttentionPoolingImpl::AttentionPoolingImpl(int64_t width, int64_t heads_, int64_t mlp_hidden, int64_t embed_dim)
    : heads(heads_) {
  probe = register_parameter("probe", torch::randn({1, width}) * 0.02);
  q_proj = register_module("q_proj", torch::nn::Linear(width, width));
  kv_proj = register_module("kv_proj", torch::nn::Linear(width, 2 * width));
  out_proj = register_module("out_proj", torch::nn::Linear(width, width));
  norm = register_module("norm", LayerNorm32(width));
  mlp = register_module("mlp", Mlp(width, mlp_hidden, /*bias=*/true));
  if (embed_dim > 0 && embed_dim != width)
    embed_proj = register_module("embed_proj", torch::nn::Linear(torch::nn::LinearOptions(width, embed_dim).bias(false)));
}

torch::Tensor AttentionPoolingImpl::forward(const torch::Tensor& h, const std::vector<int64_t>& offsets) {
  const int64_t width = h.size(1), head_dim = width / heads;
  auto q = q_proj->forward(probe).view({1, heads, 1, head_dim});
  auto kv = kv_proj->forward(h).view({h.size(0), 2, heads, head_dim});
  std::vector<torch::Tensor> pooled;
  for (size_t s = 0; s + 1 < offsets.size(); ++s) {
    auto part = kv.narrow(0, offsets[s], offsets[s + 1] - offsets[s]);
    auto k = part.select(1, 0).transpose(0, 1).unsqueeze(0);  // [1, H, L, hd]
    auto v = part.select(1, 1).transpose(0, 1).unsqueeze(0);
    pooled.push_back(at::scaled_dot_product_attention(q, k, v).reshape({1, width}));
  }
  auto x = out_proj->forward(torch::cat(pooled, 0));
  x = x + mlp->forward(norm->forward(x));
  if (embed_proj) x = embed_proj->forward(x);
  return torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(-1));
}

}  // namespace tetra::model
