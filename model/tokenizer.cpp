#include "model/tokenizer.h"

#include <torch/torch.h>

#include "model/fsq.h"

namespace tetra::model {

TokenizerImpl::TokenizerImpl(const TokenizerOptions& unresolved) : options(unresolved.resolved()) {
  const TokenizerOptions& o = options;
  encoder = register_module("encoder", Encoder(o));
  bottleneck = register_module("bottleneck", KLBottleneck(o.width, o.latent_channels));
  decoder = register_module("decoder", Decoder(o));
  pooling = register_module("pooling", AttentionPooling(o.width, o.heads, o.mlp_hidden, o.embed_dim));
}

TokenizerOutput TokenizerImpl::forward(const PackedTokens& tokens, const ForwardOptions& run) {
  TORCH_CHECK(tokens.features.size(1) == options.patch.features(), "tokenizer expects ",
              options.patch.features(), " values per token, got ", tokens.features.size(1));
  TokenizerOutput out;
  auto h = encoder->forward(tokens);
  if (options.discrete) {
    TORCH_CHECK(options.fsq.channels() == options.latent_channels, "FSQ with ", options.fsq.groups, " groups x ",
                options.fsq.dims_per_group, " dims needs ", options.fsq.channels(), " latent channels, the model has ",
                options.latent_channels);
    out.latent = bottleneck->forward(h, /*sample=*/false, std::nullopt);
    auto q = fsq_quantize(out.latent.mean, options.fsq);
    out.latent.sample = q.codes;
    out.fsq_indices = q.indices;
    out.kl_per_token = torch::zeros({h.size(0)}, out.latent.mean.options());
  } else {
    out.latent = bottleneck->forward(h, run.sample_latent, run.generator);
    out.kl_per_token = gaussian_kl_per_token(out.latent.mean, out.latent.logvar);
  }
  if (run.decode) out.reconstruction = decoder->forward(out.latent.sample.to(h.scalar_type()), tokens);
  if (run.pooled) out.pooled = pooling->forward(h, tokens.offsets);
  return out;
}

bool TokenizerImpl::is_encoder_parameter(const std::string& name) { return name.rfind("encoder.", 0) == 0; }

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace tetra::model
