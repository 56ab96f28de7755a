#include "model/layers.h"

#include <torch/torch.h>

#include <map>

namespace tetra::model {
namespace F = torch::nn::functional;

LayerNorm32Impl::LayerNorm32Impl(int64_t width, double eps_) : eps(eps_) {
  weight = register_parameter("weight", torch::ones({width}));
  bias = register_parameter("bias", torch::zeros({width}));
}

torch::Tensor LayerNorm32Impl::forward(const torch::Tensor& x) {
  auto y = torch::layer_norm(x.to(torch::kFloat), {x.size(-1)}, weight.to(torch::kFloat),
                             bias.to(torch::kFloat), eps);
  return y.to(x.scalar_type());
}

RMSNorm32Impl::RMSNorm32Impl(int64_t width, double eps_) : eps(eps_) {
  weight = register_parameter("weight", torch::ones({width}));
}

torch::Tensor RMSNorm32Impl::forward(const torch::Tensor& x) {
  auto x32 = x.to(torch::kFloat);
  auto y = x32 * torch::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight.to(torch::kFloat);
  return y.to(x.scalar_type());
}

MlpImpl::MlpImpl(int64_t width, int64_t hidden, bool bias) {
  fc1 = register_module("fc1", torch::nn::Linear(torch::nn::LinearOptions(width, hidden).bias(bias)));
  fc2 = register_module("fc2", torch::nn::Linear(torch::nn::LinearOptions(hidden, width).bias(bias)));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  return fc2->forward(torch::gelu(fc1->forward(x), "tanh"));
}

PositionTable2DImpl::PositionTable2DImpl(int64_t grid, int64_t width) {
  table = register_parameter("table", torch::randn({grid, grid, width}) * 0.02);
}

torch::Tensor PositionTable2DImpl::forward(const PackedTokens& layout) {
  // Resize once per distinct grid size in the batch, then gather rows by (x, y).
  auto as_image = table.permute({2, 0, 1}).unsqueeze(0);  // [1, d, G, G]
  std::map<std::pair<int64_t, int64_t>, torch::Tensor> resized;
  std::vector<torch::Tensor> per_sample;
  auto coords = layout.coords.to(torch::kLong);
  for (int64_t s = 0; s < layout.num_samples(); ++s) {
    const auto& g = layout.grids[s];
    auto key = std::make_pair(g.h, g.w);
    auto it = resized.find(key);
    if (it == resized.end()) {
      auto r = F::interpolate(as_image, F::InterpolateFuncOptions()
                                            .size(std::vector<int64_t>{g.h, g.w})
                                            .mode(torch::kBilinear)
                                            .align_corners(false)
                                            .antialias(true));
      it = resized.emplace(key, r.squeeze(0).permute({1, 2, 0}).reshape({g.h * g.w, -1})).first;
    }
    auto c = coords.narrow(0, layout.offsets[s], layout.offsets[s + 1] - layout.offsets[s]);
    auto rows = c.select(1, 1) * g.w + c.select(1, 2);
    per_sample.push_back(it->second.index_select(0, rows));
  }
  return torch::cat(per_sample, 0);
}

}  // namespace tetra::model
