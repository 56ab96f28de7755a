#include "trainer/image_grid.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>

namespace tetra::trainer {
namespace {

namespace F = torch::nn::functional;

// [T, H, W, 3] float32 on the CPU: grids are small, and this keeps a CUDA or bf16 batch out of the
// resizing below.
torch::Tensor as_video(const torch::Tensor& t, const char* what, size_t item) {
  TORCH_CHECK((t.dim() == 3 || t.dim() == 4) && t.size(-1) == 3 && t.numel() > 0, "make_comparison_grid: ", what,
              "[", item, "] must be [H, W, 3] or [T, H, W, 3], got ", t.sizes());
  TORCH_CHECK(t.is_floating_point(), "make_comparison_grid: ", what, "[", item, "] must be float in [-1, 1], got ",
              t.scalar_type());
  const auto video = t.detach().to(torch::kCPU, torch::kFloat32);
  return t.dim() == 3 ? video.unsqueeze(0) : video;
}

// One frame [H, W, 3] resized so that its longer side is `side`, as uint8.
torch::Tensor fit_cell(const torch::Tensor& frame, int64_t side) {
  const int64_t h = frame.size(0), w = frame.size(1), longer = std::max(h, w);
  const int64_t fit_h = std::max<int64_t>(1, (h * side + longer / 2) / longer);
  const int64_t fit_w = std::max<int64_t>(1, (w * side + longer / 2) / longer);
  // Clamped before resizing, so an out-of-range pixel shows as what it would display as (white or
  // black) instead of bleeding into its neighbours.
  torch::Tensor x = frame.clamp(-1, 1);
  if (fit_h != h || fit_w != w) {
    x = F::interpolate(x.permute({2, 0, 1}).unsqueeze(0), F::InterpolateFuncOptions()
                                                             .size(std::vector<int64_t>{fit_h, fit_w})
                                                             .mode(torch::kBilinear)
                                                             .align_corners(false)
                                                             .antialias(true))
            .squeeze(0)
            .permute({1, 2, 0});
  }
  return ((x + 1) * 127.5).round().clamp(0, 255).to(torch::kUInt8);
}

}  // namespace

std::vector<int64_t> frames_shown(int64_t frames, int64_t frames_to_show) {
  std::vector<int64_t> shown;
  if (frames <= frames_to_show) {
    for (int64_t t = 0; t < frames; ++t) shown.push_back(t);
    return shown;
  }
  if (frames_to_show == 1) return {0};
  // i * (T - 1) / (n - 1), rounded half up: T/2 in the middle of 3, and distinct since T > n.
  for (int64_t i = 0; i < frames_to_show; ++i)
    shown.push_back((2 * i * (frames - 1) + (frames_to_show - 1)) / (2 * (frames_to_show - 1)));
  return shown;
}

ImageGrid make_comparison_grid(const std::vector<torch::Tensor>& inputs,
                               const std::vector<torch::Tensor>& reconstructions, int64_t max_items,
                               int64_t cell_side, int64_t frames_to_show) {
  TORCH_CHECK(inputs.size() == reconstructions.size(), "make_comparison_grid: ", inputs.size(), " inputs but ",
              reconstructions.size(), " reconstructions");
  TORCH_CHECK(!inputs.empty() && max_items > 0 && cell_side > 0 && frames_to_show > 0,
              "make_comparison_grid: needs at least one item, max_items, cell_side and frames_to_show > 0 (got ",
              inputs.size(), " items, ", max_items, ", ", cell_side, ", ", frames_to_show, ")");
  const int64_t rows = std::min<int64_t>(max_items, static_cast<int64_t>(inputs.size()));
  const int64_t cols = 2 * frames_to_show, pitch = cell_side + kGridSeparatorPx;
  ImageGrid grid;
  grid.height = rows * pitch + kGridSeparatorPx;
  grid.width = cols * pitch + kGridSeparatorPx;
  auto canvas = torch::full({grid.height, grid.width, 3}, kGridSeparator, torch::kUInt8);

  for (int64_t row = 0; row < rows; ++row) {
    const auto item = static_cast<size_t>(row);
    const torch::Tensor sides[2] = {as_video(inputs[item], "inputs", item),
                                    as_video(reconstructions[item], "reconstructions", item)};
    TORCH_CHECK(sides[0].sizes() == sides[1].sizes(), "make_comparison_grid: item ", item, ": input ",
                inputs[item].sizes(), " and reconstruction ", reconstructions[item].sizes(), " differ in shape");
    const auto shown = frames_shown(sides[0].size(0), frames_to_show);
    for (int64_t col = 0; col < cols; ++col) {
      const int64_t y0 = kGridSeparatorPx + row * pitch, x0 = kGridSeparatorPx + col * pitch;
      auto cell = canvas.slice(0, y0, y0 + cell_side).slice(1, x0, x0 + cell_side);
      cell.fill_(kGridBackground);
      const auto slot = static_cast<size_t>(col % frames_to_show);
      if (slot >= shown.size()) continue;  // a short video: the rest of its cells stay empty
      const auto pixels = fit_cell(sides[col / frames_to_show][shown[slot]], cell_side);
      const int64_t top = (cell_side - pixels.size(0)) / 2, left = (cell_side - pixels.size(1)) / 2;
      cell.slice(0, top, top + pixels.size(0)).slice(1, left, left + pixels.size(1)).copy_(pixels);
    }
  }
  grid.rgb.resize(static_cast<size_t>(canvas.numel()));
  std::memcpy(grid.rgb.data(), canvas.data_ptr<uint8_t>(), grid.rgb.size());
  return grid;
}

}  // namespace tetra::trainer
