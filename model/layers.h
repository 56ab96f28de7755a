// Small building blocks shared by the encoder, decoder and heads: fp32 norms, the MLP, and the
// learned 2D position table.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include "model/tokens.h"

namespace tetra::model {

// LayerNorm computed in fp32 whatever the activation dtype (SPEC: eps 1e-6, fp32).
class LayerNorm32Impl : public torch::nn::Module {
 public:
  explicit LayerNorm32Impl(int64_t width, double eps = 1e-6);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;
  double eps;
};
TORCH_MODULE(LayerNorm32);

// RMSNorm computed in fp32, gain only (the decoder has no biases).
class RMSNorm32Impl : public torch::nn::Module {
 public:
  explicit RMSNorm32Impl(int64_t width, double eps = 1e-6);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  double eps;
};
TORCH_MODULE(RMSNorm32);

// Linear -> GELU(tanh) -> Linear.
class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t width, int64_t hidden, bool bias);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Mlp);

// A learned grid x grid table of width-d vectors, bilinearly resized (antialiased, half-pixel
// centres) to each sample's (rows, cols) patch grid and looked up by the tokens' (x, y) coords.
class PositionTable2DImpl : public torch::nn::Module {
 public:
  PositionTable2DImpl(int64_t grid, int64_t width);
  torch::Tensor forward(const PackedTokens& layout);  // [N, width]
  torch::Tensor table;  // [grid, grid, width]
};
TORCH_MODULE(PositionTable2D);

}  // namespace tetra::model
