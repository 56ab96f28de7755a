// Everything the optimizer trains, as one module: the tokenizer and the SigLIP loss's logit scale
// and bias (SPEC 3: learnable). One module keeps one parameter list for data parallelism, AdamW,
// the EMA and checkpoints; the SigLIP pair exists from the start so that the parameter list does
// not change when a later stage switches SigLIP on.
#pragma once
#include <torch/nn/module.h>

#include <string>
#include <vector>

#include "losses/semantic.h"
#include "model/tokenizer.h"

namespace tetra::trainer {

class TrainableImpl : public torch::nn::Module {
 public:
  TrainableImpl(model::Tokenizer model_, losses::SigLipLoss siglip_)
      : model(register_module("model", std::move(model_))), siglip(register_module("siglip", std::move(siglip_))) {}
  model::Tokenizer model;
  losses::SigLipLoss siglip;
};
TORCH_MODULE(Trainable);

// The parts a stage can freeze, and which of them a parameter belongs to ("" for none).
const std::vector<std::string>& freezable_parts();  // encoder, bottleneck, decoder, pooling, siglip
std::string part_of(const std::string& parameter_name);

// Parameter names as the optimizer sees them ("model.encoder.blocks.0...").
inline bool is_encoder_parameter(const std::string& name) {
  return name.rfind("model.", 0) == 0 && model::TokenizerImpl::is_encoder_parameter(name.substr(6));
}

}  // namespace tetra::trainer
