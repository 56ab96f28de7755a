#include "trainer/report/image_grid.h"

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

namespace {

// Rows of items; each row shows frames_to_show frames of sides[0][row], then of sides[1][row], ...
// (all sides of a row have the same shape).
ImageGrid grid_of_sides(const std::vector<const std::vector<torch::Tensor>*>& sides, int64_t max_items,
                        int64_t cell_side, int64_t frames_to_show, const char* what) {
  const auto& first = *sides[0];
  for (const auto* side : sides)
    TORCH_CHECK(side->size() == first.size(), what, ": ", first.size(), " inputs but ", side->size(),
                " reconstructions");
  TORCH_CHECK(!first.empty() && max_items > 0 && cell_side > 0 && frames_to_show > 0, what,
              ": needs at least one item, max_items, cell_side and frames_to_show > 0 (got ", first.size(),
              " items, ", max_items, ", ", cell_side, ", ", frames_to_show, ")");
  const int64_t rows = std::min<int64_t>(max_items, static_cast<int64_t>(first.size()));
  const int64_t cols = static_cast<int64_t>(sides.size()) * frames_to_show, pitch = cell_side + kGridSeparatorPx;
  ImageGrid grid;
  grid.height = rows * pitch + kGridSeparatorPx;
  grid.width = cols * pitch + kGridSeparatorPx;
  auto canvas = torch::full({grid.height, grid.width, 3}, kGridSeparator, torch::kUInt8);

  for (int64_t row = 0; row < rows; ++row) {
    const auto item = static_cast<size_t>(row);
    std::vector<torch::Tensor> videos;
    for (size_t s = 0; s < sides.size(); ++s) {
      videos.push_back(as_video((*sides[s])[item], s == 0 ? "inputs" : "reconstructions", item));
      TORCH_CHECK(videos.back().sizes() == videos[0].sizes(), what, ": item ", item, ": input ",
                  first[item].sizes(), " and reconstruction ", (*sides[s])[item].sizes(), " differ in shape");
    }
    const auto shown = frames_shown(videos[0].size(0), frames_to_show);
    for (int64_t col = 0; col < cols; ++col) {
      const int64_t y0 = kGridSeparatorPx + row * pitch, x0 = kGridSeparatorPx + col * pitch;
      auto cell = canvas.slice(0, y0, y0 + cell_side).slice(1, x0, x0 + cell_side);
      cell.fill_(kGridBackground);
      const auto slot = static_cast<size_t>(col % frames_to_show);
      if (slot >= shown.size()) continue;  // a short video: the rest of its cells stay empty
      const auto pixels = fit_cell(videos[static_cast<size_t>(col / frames_to_show)][shown[slot]], cell_side);
      const int64_t top = (cell_side - pixels.size(0)) / 2, left = (cell_side - pixels.size(1)) / 2;
      cell.slice(0, top, top + pixels.size(0)).slice(1, left, left + pixels.size(1)).copy_(pixels);
    }
  }
  grid.rgb.resize(static_cast<size_t>(canvas.numel()));
  std::memcpy(grid.rgb.data(), canvas.data_ptr<uint8_t>(), grid.rgb.size());
  return grid;
}

}  // namespace

ImageGrid make_comparison_grid(const std::vector<torch::Tensor>& inputs,
                               const std::vector<torch::Tensor>& reconstructions, int64_t max_items,
                               int64_t cell_side, int64_t frames_to_show) {
  return grid_of_sides({&inputs, &reconstructions}, max_items, cell_side, frames_to_show, "make_comparison_grid");
}

ImageGrid make_frame_grid(const std::vector<torch::Tensor>& items, int64_t max_items, int64_t cell_side,
                          int64_t frames_to_show) {
  return grid_of_sides({&items}, max_items, cell_side, frames_to_show, "make_frame_grid");
}

}  // namespace tetra::trainer
