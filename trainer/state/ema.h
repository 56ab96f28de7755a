// Exponential moving average of the weights: ema <- decay * ema + (1 - decay) * w after each step.
#pragma once
#include <functional>
#include <torch/nn/module.h>
#include <torch/serialize/archive.h>

#include <vector>

namespace tetra::trainer {

class WeightEma {
 public:
  WeightEma(torch::nn::Module& model, double decay);
  void update();
  // Swaps EMA and live weights in place (call twice to swap back): evaluation without a copy model.
  void swap_into_model();
  // After `live` (one of the model's parameters) was widened in place: widen its shadow the same way.
  void widen(const torch::Tensor& live, const std::function<torch::Tensor(const torch::Tensor&)>& widen_like);
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  std::vector<std::string> names_;
  std::vector<torch::Tensor> live_;
  std::vector<torch::Tensor> shadow_;
  double decay_;
};

}  // namespace tetra::trainer
