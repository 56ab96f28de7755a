#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "support/run_command.h"
#include "trainer/report/image_grid.h"
#include "trainer/report/tensorboard.h"

namespace tetra::trainer {
namespace {

namespace fs = std::filesystem;
using Rgb = std::array<int, 3>;

Rgb pixel(const ImageGrid& g, int64_t y, int64_t x) {
  const size_t i = static_cast<size_t>((y * g.width + x) * 3);
  return {g.rgb[i], g.rgb[i + 1], g.rgb[i + 2]};
}
Rgb grey(int v) { return {v, v, v}; }

// Top-left pixel of the cell at (row, col).
int64_t cell_origin(int64_t index, int64_t side) { return kGridSeparatorPx + index * (side + kGridSeparatorPx); }

TEST(ImageGrid, FramesShownSpreadOverTheVideo) {
  EXPECT_EQ(frames_shown(8, 3), (std::vector<int64_t>{0, 4, 7}));
  EXPECT_EQ(frames_shown(5, 3), (std::vector<int64_t>{0, 2, 4}));
  EXPECT_EQ(frames_shown(2, 3), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(frames_shown(10, 1), (std::vector<int64_t>{0}));
  EXPECT_EQ(frames_shown(17, 5), (std::vector<int64_t>{0, 4, 8, 12, 16}));
}

TEST(ImageGrid, SizeFollowsItemsCellsAndSeparators) {
  const std::vector<torch::Tensor> images(3, torch::zeros({16, 16, 3}));
  const auto g = make_comparison_grid(images, images, /*max_items=*/8, /*cell_side=*/16);
  EXPECT_EQ(g.width, 2 * 16 + 3 * kGridSeparatorPx);
  EXPECT_EQ(g.height, 3 * 16 + 4 * kGridSeparatorPx);
  EXPECT_EQ(g.rgb.size(), static_cast<size_t>(g.width * g.height * 3));
  EXPECT_EQ(make_comparison_grid(images, images, 2, 16).height, 2 * 16 + 3 * kGridSeparatorPx);
  const auto video = make_comparison_grid(images, images, 1, 10, /*frames_to_show=*/3);
  EXPECT_EQ(video.width, 6 * 10 + 7 * kGridSeparatorPx);
  EXPECT_EQ(video.height, 10 + 2 * kGridSeparatorPx);
}

TEST(ImageGrid, KnownPixelsLandInTheirCells) {
  auto input = torch::full({16, 16, 3}, -1.0);
  input[3][5] = torch::tensor({1.0, 0.0, -1.0});
  const auto reconstruction = torch::zeros({16, 16, 3});
  const int64_t side = 16;
  const auto g = make_comparison_grid({input}, {reconstruction}, 1, side);
  EXPECT_EQ(pixel(g, 0, 0), grey(kGridSeparator));
  EXPECT_EQ(pixel(g, cell_origin(0, side) + 3, cell_origin(0, side) + 5), (Rgb{255, 128, 0}));
  EXPECT_EQ(pixel(g, cell_origin(0, side) + 3, cell_origin(0, side) + 6), grey(0));
  EXPECT_EQ(pixel(g, cell_origin(0, side), cell_origin(1, side)), grey(128));      // reconstruction, right
  EXPECT_EQ(pixel(g, cell_origin(0, side), cell_origin(1, side) - 1), grey(kGridSeparator));
}

TEST(ImageGrid, OutOfRangeValuesAreClamped) {
  const auto input = torch::full({4, 4, 3}, 5.0), reconstruction = torch::full({4, 4, 3}, -3.0);
  const auto g = make_comparison_grid({input}, {reconstruction}, 1, 4);
  EXPECT_EQ(pixel(g, cell_origin(0, 4), cell_origin(0, 4)), grey(255));
  EXPECT_EQ(pixel(g, cell_origin(0, 4), cell_origin(1, 4)), grey(0));
}

TEST(ImageGrid, ItemsOfDifferentSizesAreFittedAndCentred) {
  const int64_t side = 16;
  // 32 x 64 (wide) becomes 8 x 16, centred vertically; 4 x 2 (tall, small) becomes 16 x 8.
  const std::vector<torch::Tensor> items{torch::full({32, 64, 3}, 1.0), torch::full({4, 2, 3}, 1.0)};
  const auto g = make_comparison_grid(items, items, 2, side, 1);
  const int64_t y0 = cell_origin(0, side), x0 = cell_origin(0, side);
  EXPECT_EQ(pixel(g, y0 + 3, x0), grey(kGridBackground));
  EXPECT_EQ(pixel(g, y0 + 4, x0), grey(255));
  EXPECT_EQ(pixel(g, y0 + 11, x0 + 15), grey(255));
  EXPECT_EQ(pixel(g, y0 + 12, x0), grey(kGridBackground));
  const int64_t y1 = cell_origin(1, side);
  EXPECT_EQ(pixel(g, y1, x0 + 3), grey(kGridBackground));
  EXPECT_EQ(pixel(g, y1, x0 + 4), grey(255));
  EXPECT_EQ(pixel(g, y1 + 15, x0 + 11), grey(255));
  EXPECT_EQ(pixel(g, y1 + 15, x0 + 12), grey(kGridBackground));
}

TEST(ImageGrid, VideoRowShowsInputFramesThenReconstructedFrames) {
  // Frame t of the input is grey level 30 t; the reconstruction is its negative.
  const int64_t frames = 8, side = 4;
  auto input = torch::empty({frames, 4, 4, 3});
  for (int64_t t = 0; t < frames; ++t) input[t].fill_(30.0 * t / 127.5 - 1.0);
  const auto short_video = torch::zeros({2, 4, 4, 3});
  const auto g = make_comparison_grid({input, short_video}, {-input, short_video}, 2, side, /*frames_to_show=*/3);
  const int64_t shown[3] = {0, 4, 7};
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(pixel(g, cell_origin(0, side) + 1, cell_origin(i, side) + 2), grey(30 * shown[i])) << i;
    EXPECT_EQ(pixel(g, cell_origin(0, side) + 1, cell_origin(3 + i, side) + 2), grey(255 - 30 * shown[i])) << i;
  }
  // Two frames for three slots: the third cell of each side stays empty.
  EXPECT_EQ(pixel(g, cell_origin(1, side), cell_origin(1, side)), grey(128));
  EXPECT_EQ(pixel(g, cell_origin(1, side), cell_origin(2, side)), grey(kGridBackground));
  EXPECT_EQ(pixel(g, cell_origin(1, side), cell_origin(4, side)), grey(128));
  EXPECT_EQ(pixel(g, cell_origin(1, side), cell_origin(5, side)), grey(kGridBackground));
}

TEST(ImageGrid, AcceptsOtherFloatTypes) {
  const auto input = torch::ones({4, 4, 3}, torch::kBFloat16);
  const auto g = make_comparison_grid({input}, {input.to(torch::kFloat64)}, 1, 4);
  EXPECT_EQ(pixel(g, cell_origin(0, 4), cell_origin(1, 4)), grey(255));
}

TEST(ImageGrid, RejectsMismatchedOrMalformedItems) {
  const auto image = torch::zeros({4, 4, 3});
  EXPECT_THROW(make_comparison_grid({image}, {}, 1, 4), c10::Error);
  EXPECT_THROW(make_comparison_grid({image}, {torch::zeros({4, 5, 3})}, 1, 4), c10::Error);
  EXPECT_THROW(make_comparison_grid({torch::zeros({4, 4})}, {torch::zeros({4, 4})}, 1, 4), c10::Error);
  EXPECT_THROW(make_comparison_grid({image.to(torch::kUInt8)}, {image.to(torch::kUInt8)}, 1, 4), c10::Error);
  EXPECT_THROW(make_comparison_grid({image}, {image}, 1, 0), c10::Error);
}

// The grid as TensorBoard shows it: its own reader finds the image with our size, and the decoded
// PNG holds our pixels.
TEST(ImageGrid, TensorBoardReadsTheGrid) {
  const char* python = std::getenv("TETRA_PYTHON");
  if (python == nullptr || *python == '\0') GTEST_SKIP() << "TETRA_PYTHON unset: run through ctest";
  const fs::path dir = fs::temp_directory_path() / ("tetra_grid_tb_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto input = torch::full({24, 12, 3}, -1.0);
  input.select(2, 0).fill_(1.0);  // red
  const auto grid = make_comparison_grid({input, input}, {torch::zeros({24, 12, 3}), input}, 4, 20);
  {
    auto writer = TensorBoardWriter::Create(dir.string());
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE((*writer)->image("reconstruction/grid", grid.rgb.data(), grid.height, grid.width, 7).ok());
    (*writer)->flush();
  }
  const int64_t y = cell_origin(0, 20) + 10, x = cell_origin(0, 20) + 10;  // inside the red input
  std::ofstream(dir / "read.py") <<
      "import io, sys\n"
      "from PIL import Image\n"
      "from tensorboard.backend.event_processing.event_accumulator import EventAccumulator\n"
      "acc = EventAccumulator(sys.argv[1], size_guidance={'images': 0})\n"
      "acc.Reload()\n"
      "img = acc.Images('reconstruction/grid')[0]\n"
      "pixels = Image.open(io.BytesIO(img.encoded_image_string)).convert('RGB')\n"
      "xy = (int(sys.argv[3]), int(sys.argv[2]))\n"
      "print('image', img.step, img.width, img.height, pixels.size, pixels.getpixel(xy))\n";
  const auto result = test_support::run_command(std::string(python) + " " + (dir / "read.py").string() + " " +
                                                dir.string() + " " + std::to_string(y) + " " + std::to_string(x));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string expected = "image 7 " + std::to_string(grid.width) + " " + std::to_string(grid.height) + " (" +
                               std::to_string(grid.width) + ", " + std::to_string(grid.height) + ") (255, 0, 0)";
  EXPECT_NE(result.output.find(expected), std::string::npos) << "expected '" << expected << "' in\n" << result.output;
  fs::remove_all(dir);
}

TEST(ImageGrid, FrameGridShowsOneSidePerRow) {
  // Two meshes' stored views: 6 views each, 4 shown per row.
  std::vector<torch::Tensor> views = {torch::zeros({6, 8, 8, 3}), torch::ones({6, 8, 8, 3})};
  const ImageGrid grid = make_frame_grid(views, 5, 10, 4);
  EXPECT_EQ(grid.height, 2 * (10 + kGridSeparatorPx) + kGridSeparatorPx);
  EXPECT_EQ(grid.width, 4 * (10 + kGridSeparatorPx) + kGridSeparatorPx);
  // Row 1 (all ones = white) at the centre of its last cell.
  const int64_t y = kGridSeparatorPx + (10 + kGridSeparatorPx) + 5, x = kGridSeparatorPx + 3 * (10 + kGridSeparatorPx) + 5;
  EXPECT_EQ(grid.rgb[static_cast<size_t>((y * grid.width + x) * 3)], 255);
}

}  // namespace
}  // namespace tetra::trainer
