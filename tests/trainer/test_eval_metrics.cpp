#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "support/run_command.h"
#include "trainer/eval/eval_metrics.h"

namespace tetra::trainer {
namespace {
namespace fs = std::filesystem;

torch::Tensor read_doubles(const fs::path& path, int64_t h, int64_t w) {
  std::ifstream in(path, std::ios::binary);
  std::vector<double> values(h * w * 3);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(double)));
  return torch::tensor(values, torch::kDouble).view({h, w, 3});
}

// scikit-image is the reference implementation of both metrics.
TEST(EvalMetrics, PsnrAndSsimMatchScikitImageOnARealPhoto) {
  const char* python = std::getenv("TETRA_PYTHON");
  const char* source = std::getenv("TETRA_SOURCE_DIR");
  if (!python || !source) GTEST_SKIP() << "TETRA_PYTHON/TETRA_SOURCE_DIR unset: run through ctest";
  const fs::path dir = fs::temp_directory_path() / ("tetra_metrics_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string line = test_support::run_command(std::string(python) + " " + source +
                                                     "/tests/trainer/eval_metrics_reference.py " + dir.string())
                               .output;
  ASSERT_FALSE(line.empty()) << "reference script printed nothing";
  std::istringstream parsed(line);
  int64_t h = 0, w = 0;
  double ref_psnr = 0, ref_ssim = 0;
  ASSERT_TRUE(parsed >> h >> w >> ref_psnr >> ref_ssim) << "reference script said: " << line;
  auto a = read_doubles(dir / "a.bin", h, w), b = read_doubles(dir / "b.bin", h, w);
  EXPECT_NEAR(psnr(a, b), ref_psnr, 1e-9);
  EXPECT_NEAR(ssim(a, b), ref_ssim, 1e-9);
  EXPECT_NEAR(ssim(a, a), 1.0, 1e-12);
  fs::remove_all(dir);
}

TEST(EvalMetrics, RetrievalRecall) {
  // Texts 0..3 match visuals 0..3, except text 3, whose best match is visual 0.
  auto visual = torch::eye(4);
  auto text = torch::eye(4);
  text[3] = torch::tensor({0.9f, 0.0f, 0.0f, 0.1f});
  auto s = retrieval_recall(visual, text);
  EXPECT_DOUBLE_EQ(s.text_to_visual_r1, 0.75);
  EXPECT_DOUBLE_EQ(s.text_to_visual_r5, 1.0);
  // Visual 3 is most similar to text 3 (the others are orthogonal to it): all four hit.
  EXPECT_DOUBLE_EQ(s.visual_to_text_r1, 1.0);
  EXPECT_DOUBLE_EQ(s.visual_to_text_r5, 1.0);
}

}  // namespace
}  // namespace tetra::trainer
