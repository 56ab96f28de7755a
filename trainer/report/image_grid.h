// One RGB picture comparing inputs with their reconstructions, for TensorBoard
// (TensorBoardWriter::image(tag, grid.rgb.data(), grid.height, grid.width, step)).
//
// Layout: one row per item; the item's input frames on the left, its reconstructed frames on the
// right, in the same order:
//
//   | in f0 | in f1 | in f2 | rec f0 | rec f1 | rec f2 |     <- item 0
//   | in f0 | in f1 | in f2 | rec f0 | rec f1 | rec f2 |     <- item 1
//
// Every cell is cell_side x cell_side; a frame is resized (bilinear, antialiased) to fit it with
// its aspect kept and centred on kGridBackground. Cells are separated, and the grid bordered, by
// kGridSeparatorPx lines of kGridSeparator, so an image's own edge stays visible against the
// letterbox.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace tetra::trainer {

struct ImageGrid {
  int64_t height = 0, width = 0;
  std::vector<uint8_t> rgb;  // height * width * 3, row-major
};

constexpr uint8_t kGridBackground = 40;  // dark grey letterbox inside a cell
constexpr uint8_t kGridSeparator = 160;  // lighter lines between cells
constexpr int64_t kGridSeparatorPx = 2;

// inputs[i] and reconstructions[i] are [H, W, 3] images or [T, H, W, 3] videos, float in [-1, 1]
// (any float dtype, any device; values outside are clamped), with the same shape as each other;
// different items may differ in size and length. The first min(max_items, inputs.size()) items are
// shown, each with `frames_to_show` frames spread evenly over its length, first and last included
// (3 of T frames: 0, T/2, T-1; an image is a 1-frame video). An item with fewer frames shows all of
// them and leaves the remaining cells empty. Throws c10::Error on mismatched or malformed inputs.
ImageGrid make_comparison_grid(const std::vector<torch::Tensor>& inputs,
                               const std::vector<torch::Tensor>& reconstructions, int64_t max_items,
                               int64_t cell_side, int64_t frames_to_show = 1);

// One side only: a row per item with frames_to_show of its frames (a mesh's stored views).
ImageGrid make_frame_grid(const std::vector<torch::Tensor>& items, int64_t max_items, int64_t cell_side,
                          int64_t frames_to_show);

// Which frames of a T-frame item the grid shows (exposed for its test).
std::vector<int64_t> frames_shown(int64_t frames, int64_t frames_to_show);

}  // namespace tetra::trainer
