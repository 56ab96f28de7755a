#include "trainer/state/ema.h"

#include <torch/torch.h>

namespace tetra::trainer {

WeightEma::WeightEma(torch::nn::Module& model, double decay) : decay_(decay) {
  torch::NoGradGuard no_grad;
  for (const auto& item : model.named_parameters()) {
    names_.push_back(item.key());
    live_.push_back(item.value());
    shadow_.push_back(item.value().detach().clone());
  }
}

void WeightEma::update() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < live_.size(); ++i) shadow_[i].lerp_(live_[i], 1.0 - decay_);
}

void WeightEma::swap_into_model() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < live_.size(); ++i) {
    auto tmp = live_[i].detach().clone();
    live_[i].copy_(shadow_[i]);
    shadow_[i].copy_(tmp);
  }
}

void WeightEma::widen(const torch::Tensor& live, const std::function<torch::Tensor(const torch::Tensor&)>& widen_like) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < live_.size(); ++i)
    if (live_[i].is_same(live)) shadow_[i] = widen_like(shadow_[i]).contiguous();
}

void WeightEma::save(torch::serialize::OutputArchive& archive) const {
  for (size_t i = 0; i < names_.size(); ++i) archive.write(names_[i], shadow_[i]);
}

void WeightEma::load(torch::serialize::InputArchive& archive) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < names_.size(); ++i) {
    torch::Tensor t;
    archive.read(names_[i], t);
    TORCH_CHECK(t.sizes() == shadow_[i].sizes(), "EMA tensor '", names_[i], "' has shape ", t.sizes(),
                " in the checkpoint but ", shadow_[i].sizes(), " in the model");
    shadow_[i].copy_(t);
  }
}

}  // namespace tetra::trainer
