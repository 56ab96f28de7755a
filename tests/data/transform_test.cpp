#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "data/data_test_support.h"
#include "data/media/transform.h"

namespace tetra::data {
namespace {

using testing::PatternImage;

const ResolutionRule kRule{64, 512, 16};

Image uniform(int64_t h, int64_t w, uint8_t value) {
  return Image{h, w, std::vector<uint8_t>(static_cast<size_t>(h * w * 3), value)};
}

// The resize the SPEC asks for, computed independently of the implementation.
double ExpectedScale(int64_t h, int64_t w, const ResolutionRule& rule) {
  const double shorter = std::min(h, w), longer = std::max(h, w);
  double scale = 1.0;
  if (shorter < rule.min_side) scale = rule.min_side / shorter;
  if (longer * scale > rule.max_side) scale = rule.max_side / longer;
  return scale;
}

TEST(Transform, SidesAreMultiplesAndFollowTheResizeRule) {
  const std::vector<std::pair<int64_t, int64_t>> sizes = {
      {64, 64}, {100, 300}, {30, 200}, {1000, 700}, {17, 17}, {513, 512}, {48, 600}, {640, 480}};
  for (auto [h, w] : sizes) {
    SCOPED_TRACE(::testing::Message() << h << "x" << w);
    const Image out = resize_and_crop(uniform(h, w, 7), kRule, nullptr);
    EXPECT_EQ(out.height % 16, 0);
    EXPECT_EQ(out.width % 16, 0);
    EXPECT_GE(std::min(out.height, out.width), 16);
    EXPECT_LE(std::max(out.height, out.width), kRule.max_side);
    // The crop removes less than one multiple from the resized side: aspect kept within a patch.
    const double scale = ExpectedScale(h, w, kRule);
    EXPECT_LE(out.height, std::llround(h * scale));
    EXPECT_GT(out.height, std::llround(h * scale) - 16);
    EXPECT_LE(out.width, std::llround(w * scale));
    EXPECT_GT(out.width, std::llround(w * scale) - 16);
    EXPECT_EQ(out.rgb.size(), static_cast<size_t>(out.height * out.width * 3));
  }
}

TEST(Transform, ExactSizesForTheThreeCases) {
  const Image in_range = resize_and_crop(uniform(100, 300, 1), kRule, nullptr);
  EXPECT_EQ(in_range.height, 96);  // no resize, crop only
  EXPECT_EQ(in_range.width, 288);
  const Image upscaled = resize_and_crop(uniform(32, 48, 1), kRule, nullptr);
  EXPECT_EQ(upscaled.height, 64);  // shorter side to min_side: 64x96
  EXPECT_EQ(upscaled.width, 96);
  const Image downscaled = resize_and_crop(uniform(1024, 768, 1), kRule, nullptr);
  EXPECT_EQ(downscaled.height, 512);  // longer side to max_side: 512x384
  EXPECT_EQ(downscaled.width, 384);
  // Both rules apply: max wins (40x1000 -> 20x512), then the crop keeps one multiple.
  const Image conflict = resize_and_crop(uniform(40, 1000, 1), kRule, nullptr);
  EXPECT_EQ(conflict.height, 16);
  EXPECT_EQ(conflict.width, 512);
}

TEST(Transform, SideBelowOneMultipleIsScaledUp) {
  // 5x100 under max 64 would be 3x64: too thin for a 16-pixel patch, so it is scaled to 16 high.
  const ResolutionRule rule{8, 64, 16};
  const Image out = resize_and_crop(uniform(5, 100, 3), rule, nullptr);
  EXPECT_EQ(out.height, 16);
  EXPECT_EQ(out.width, 64);  // 16x320 cropped to max_side
}

TEST(Transform, CentredCropIsDeterministicAndCentred) {
  const Image source = PatternImage(100, 90, 5);  // in range: crop only, to 96x80
  const Image a = resize_and_crop(source, kRule, nullptr);
  const Image b = resize_and_crop(source, kRule, nullptr);
  EXPECT_EQ(a.rgb, b.rgb);
  ASSERT_EQ(a.height, 96);
  ASSERT_EQ(a.width, 80);
  const int64_t top = 2, left = 5;
  for (int64_t y = 0; y < a.height; y += 7) {
    for (int64_t x = 0; x < a.width; x += 5) {
      for (int c = 0; c < 3; ++c) {
        ASSERT_EQ(a.rgb[(y * a.width + x) * 3 + c],
                  source.rgb[((y + top) * source.width + x + left) * 3 + c]);
      }
    }
  }
}

TEST(Transform, RandomCropFollowsTheRngSeed) {
  const Image source = PatternImage(150, 140, 6);
  std::mt19937_64 rng_a(42), rng_b(42);
  EXPECT_EQ(resize_and_crop(source, kRule, &rng_a).rgb, resize_and_crop(source, kRule, &rng_b).rgb);
  bool any_differs = false;
  const Image first = resize_and_crop(source, kRule, &rng_a);
  for (uint64_t seed = 0; seed < 8 && !any_differs; ++seed) {
    std::mt19937_64 rng(seed);
    any_differs = resize_and_crop(source, kRule, &rng).rgb != first.rgb;
  }
  EXPECT_TRUE(any_differs);
}

TEST(Transform, BilinearMatchesHalfPixelCentres) {
  // One row a, b upsampled 2 -> 4 with align_corners=false: a, 0.75a+0.25b, 0.25a+0.75b, b.
  Image row{1, 2, {40, 40, 40, 120, 120, 120}};
  const Image out = resize_bilinear(row, 1, 4);
  const std::vector<uint8_t> expected = {40, 40, 40, 60, 60, 60, 100, 100, 100, 120, 120, 120};
  EXPECT_EQ(out.rgb, expected);
  // Downsampling 4 -> 2 samples at 0.5 and 2.5: the mean of each pair.
  Image wide{1, 4, {0, 0, 0, 100, 100, 100, 200, 200, 200, 40, 40, 40}};
  const std::vector<uint8_t> halves = {50, 50, 50, 120, 120, 120};
  EXPECT_EQ(resize_bilinear(wide, 1, 2).rgb, halves);
}

TEST(Transform, ResizeKeepsAConstantImageConstant) {
  const Image out = resize_bilinear(uniform(13, 29, 77), 40, 11);
  EXPECT_EQ(out.rgb, std::vector<uint8_t>(40 * 11 * 3, 77));
}

TEST(Transform, ValidateResolutionRuleNamesTheFields) {
  EXPECT_TRUE(validate_resolution_rule(kRule).ok());
  absl::Status inverted = validate_resolution_rule({128, 64, 16});
  ASSERT_FALSE(inverted.ok());
  EXPECT_NE(inverted.message().find("min_side=128"), std::string::npos);
  EXPECT_FALSE(validate_resolution_rule({64, 512, 0}).ok());
  EXPECT_FALSE(validate_resolution_rule({8, 12, 16}).ok());
  EXPECT_EQ(validate_resolution_rule({64, 512, 0}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(validate_resolution_rule({8, 12, 16}).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tetra::data
