#include "model/fsq.h"

#include <torch/torch.h>

#include <cmath>

namespace tetra::model {
namespace {

double half_width(int64_t levels) { return (levels - 1) * (1.0 + 1e-3) / 2.0; }
double offset(int64_t levels) { return levels % 2 == 0 ? 0.5 : 0.0; }
int64_t code_scale(int64_t levels) { return levels / 2; }

// Powers levels^i for i in [0, dims), as int64 made on `device` (no host copy: that would make a
// GPU forward wait).
torch::Tensor place_values(const FsqOptions& o, torch::Device device) {
  return torch::pow(o.levels, torch::arange(o.dims_per_group, torch::TensorOptions(torch::kInt64).device(device)));
}

}  // namespace

int64_t FsqOptions::codebook_size() const {
  int64_t size = 1;
  for (int64_t i = 0; i < dims_per_group; ++i) size *= levels;
  return size;
}

torch::Tensor fsq_bound(const torch::Tensor& z, int64_t levels) {
  const double half = half_width(levels), off = offset(levels);
  return torch::tanh(z.to(torch::kFloat) + std::atanh(off / half)) * half - off;
}

FsqOutput fsq_quantize(const torch::Tensor& z, const FsqOptions& o) {
  TORCH_CHECK(z.dim() == 2 && z.size(1) == o.channels(), "fsq_quantize expects [N, ", o.channels(),
              "] (", o.groups, " groups x ", o.dims_per_group, " dims), got ", z.sizes());
  auto bounded = fsq_bound(z, o.levels);
  const auto nearest = torch::round(bounded.detach());
  // Straight-through rounding: the forward value is round(b), the gradient is that of b.
  auto rounded = bounded + (nearest - bounded).detach();
  FsqOutput out;
  out.codes = rounded / static_cast<double>(code_scale(o.levels));
  auto digits = (nearest.to(torch::kInt64) + code_scale(o.levels))
                    .view({z.size(0), o.groups, o.dims_per_group});
  out.indices = (digits * place_values(o, z.device())).sum(-1);
  return out;
}

torch::Tensor fsq_codes_from_indices(const torch::Tensor& indices, const FsqOptions& o) {
  auto digits = torch::div(indices.unsqueeze(-1), place_values(o, indices.device()), "floor")
                    .remainder(o.levels);  // [N, groups, dims]
  auto codes = (digits - code_scale(o.levels)).to(torch::kFloat) / static_cast<double>(code_scale(o.levels));
  return codes.reshape({indices.size(0), o.channels()});
}

torch::Tensor codebook_counts(const torch::Tensor& indices, const FsqOptions& o) {
  const int64_t size = o.codebook_size();
  // Group g's codes are shifted to [g * size, (g + 1) * size): one bincount for every group.
  auto shifted = indices.to(torch::kLong) + torch::arange(o.groups, indices.options().dtype(torch::kLong)) * size;
  return torch::bincount(shifted.flatten(), {}, o.groups * size).view({o.groups, size}).to(torch::kDouble);
}

std::vector<CodebookStats> codebook_stats(const torch::Tensor& counts) {
  std::vector<CodebookStats> stats;
  const auto cpu = counts.to(torch::kCPU, torch::kDouble);
  for (int64_t g = 0; g < cpu.size(0); ++g) {
    auto c = cpu[g];
    auto p = c / c.sum().clamp_min(1.0);
    auto entropy = -(p * torch::log(p.clamp_min(1e-300))).sum().item<double>();
    stats.push_back({(c > 0).sum().item<double>() / static_cast<double>(c.size(0)), std::exp(entropy)});
  }
  return stats;
}

std::vector<CodebookStats> codebook_stats_per_group(const torch::Tensor& indices, const FsqOptions& o) {
  return codebook_stats(codebook_counts(indices, o));
}

}  // namespace tetra::model
