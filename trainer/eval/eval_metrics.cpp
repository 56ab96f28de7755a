#include "trainer/eval/eval_metrics.h"

#include <torch/torch.h>

#include <cmath>

namespace tetra::trainer {
namespace {

torch::Tensor to_unit_range(const torch::Tensor& x) { return (x.to(torch::kDouble) + 1.0) / 2.0; }

torch::Tensor gaussian_window(int64_t size, double sigma) {
  auto coords = torch::arange(size, torch::kDouble) - (size - 1) / 2.0;
  auto g = torch::exp(-coords.pow(2) / (2 * sigma * sigma));
  g = g / g.sum();
  return torch::outer(g, g);
}

// Valid-region Gaussian filtering of every channel: [C, 1, H, W] -> [C, 1, H-10, W-10].
torch::Tensor filter(const torch::Tensor& x, const torch::Tensor& window) {
  return torch::conv2d(x, window.view({1, 1, window.size(0), window.size(1)}));
}

double recall_at(const torch::Tensor& similarity, int64_t k) {
  const int64_t n = similarity.size(0);
  auto topk = std::get<1>(similarity.topk(std::min(k, similarity.size(1)), 1));
  auto target = torch::arange(n, torch::kLong).unsqueeze(1);
  return (topk == target).any(1).to(torch::kDouble).mean().item<double>();
}

}  // namespace

double psnr(const torch::Tensor& a, const torch::Tensor& b) {
  TORCH_CHECK(a.sizes() == b.sizes(), "psnr: shapes differ ", a.sizes(), " vs ", b.sizes());
  const double mse = (to_unit_range(a) - to_unit_range(b)).pow(2).mean().item<double>();
  return mse <= 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(1.0 / mse);
}

double ssim(const torch::Tensor& a, const torch::Tensor& b) {
  TORCH_CHECK(a.dim() == 3 && a.sizes() == b.sizes(), "ssim expects two [H, W, C] images, got ", a.sizes(),
              " and ", b.sizes());
  TORCH_CHECK(a.size(0) >= 11 && a.size(1) >= 11, "ssim needs images of at least 11x11, got ", a.sizes());
  constexpr double kC1 = 0.01 * 0.01, kC2 = 0.03 * 0.03;
  auto x = to_unit_range(a).permute({2, 0, 1}).unsqueeze(1);  // [C, 1, H, W]
  auto y = to_unit_range(b).permute({2, 0, 1}).unsqueeze(1);
  auto w = gaussian_window(11, 1.5);
  auto mx = filter(x, w), my = filter(y, w);
  auto vx = filter(x * x, w) - mx * mx, vy = filter(y * y, w) - my * my, cxy = filter(x * y, w) - mx * my;
  auto map = ((2 * mx * my + kC1) * (2 * cxy + kC2)) / ((mx * mx + my * my + kC1) * (vx + vy + kC2));
  return map.mean().item<double>();
}

RetrievalScores retrieval_recall(const torch::Tensor& visual, const torch::Tensor& text) {
  TORCH_CHECK(visual.dim() == 2 && visual.sizes() == text.sizes(), "retrieval_recall expects two [B, d] tensors, got ",
              visual.sizes(), " and ", text.sizes());
  namespace F = torch::nn::functional;
  auto v = F::normalize(visual.to(torch::kDouble).cpu(), F::NormalizeFuncOptions().dim(1));
  auto t = F::normalize(text.to(torch::kDouble).cpu(), F::NormalizeFuncOptions().dim(1));
  auto sim = torch::matmul(t, v.t());  // [text, visual]
  RetrievalScores s;
  s.text_to_visual_r1 = recall_at(sim, 1);
  s.text_to_visual_r5 = recall_at(sim, 5);
  s.visual_to_text_r1 = recall_at(sim.t(), 1);
  s.visual_to_text_r5 = recall_at(sim.t(), 5);
  return s;
}

}  // namespace tetra::trainer
