// The unified tokenizer: encoder -> KL bottleneck -> decoder, plus the attention-pooling head.
#pragma once
#include <torch/nn/module.h>

#include <optional>

#include "model/encoder.h"
#include "model/heads.h"
#include "model/options.h"

namespace tetra::model {

struct TokenizerOutput {
  torch::Tensor reconstruction;  // [N, F] raw pixels per patch; undefined when not decoding
  GaussianLatent latent;
  torch::Tensor kl_per_token;    // [N]; zeros in discrete (FSQ) mode, which has no KL term
  torch::Tensor fsq_indices;     // [N, groups] codebook indices; only in discrete mode
  torch::Tensor pooled;          // [B, d] L2-normalised; undefined unless requested
};

struct ForwardOptions {
  bool sample_latent = true;     // false at evaluation: decode the mean
  bool pooled = false;           // run the understanding head
  bool decode = true;            // false: no reconstruction (understanding tasks need only the encoder)
  std::optional<at::Generator> generator;
};

class TokenizerImpl : public torch::nn::Module {
 public:
  // Sizes left 0 are taken from options.preset (TokenizerOptions::resolved).
  explicit TokenizerImpl(const TokenizerOptions& options);
  TokenizerOutput forward(const PackedTokens& tokens, const ForwardOptions& run = {});
  // Parameters that get the encoder learning-rate multiplier (their names start with "encoder.").
  static bool is_encoder_parameter(const std::string& name);

  TokenizerOptions options;  // resolved
  Encoder encoder{nullptr};
  KLBottleneck bottleneck{nullptr};
  Decoder decoder{nullptr};
  AttentionPooling pooling{nullptr};
};
TORCH_MODULE(Tokenizer);

int64_t count_parameters(const torch::nn::Module& module);

}  // namespace tetra::model
