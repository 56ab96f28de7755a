#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model/tokens.h"

namespace tetra::model {
namespace {

TEST(Patchify, ImageRoundTripOnOddGridAndPatch) {
  PatchSize patch{4, 3, 5, 3};
  auto image = torch::rand({1, 9, 35, 3});  // 3 x 7 patches, odd both ways
  auto tokens = patchify(image, patch);
  EXPECT_EQ(tokens.features.sizes(), (torch::IntArrayRef{21, 4 * 3 * 5 * 3}));
  EXPECT_EQ(tokens.grid.t, 1);
  EXPECT_EQ(tokens.grid.frames, 1);
  auto back = unpatchify(tokens.features, tokens.grid, patch);
  ASSERT_EQ(back.sizes(), (torch::IntArrayRef{4, 9, 35, 3}));
  EXPECT_TRUE(torch::equal(back.narrow(0, 0, 1), image));
  EXPECT_EQ(back.narrow(0, 1, 3).abs().max().item<float>(), 0.0f) << "padding frames must be zeros";
}

TEST(Patchify, VideoRoundTripAndCoords) {
  PatchSize patch{2, 4, 4, 3};
  auto video = torch::rand({6, 8, 12, 3});
  auto tokens = patchify(video, patch);
  EXPECT_EQ(tokens.grid.t, 3);
  EXPECT_EQ(tokens.grid.h, 2);
  EXPECT_EQ(tokens.grid.w, 3);
  EXPECT_TRUE(torch::equal(unpatchify(tokens.features, tokens.grid, patch), video));
  // Token 7 = t 1, row 0, col 1; coords are (t, x=row, y=col, z).
  auto c = tokens.coords[7];
  EXPECT_EQ(c[0].item<int>(), 1);
  EXPECT_EQ(c[1].item<int>(), 0);
  EXPECT_EQ(c[2].item<int>(), 1);
  EXPECT_EQ(c[3].item<int>(), 0);
  EXPECT_EQ(tokens.coords.scalar_type(), torch::kInt32);
}

TEST(Patchify, FlattenOrderIsTimeRowColumnChannel) {
  PatchSize patch{4, 2, 2, 3};
  auto image = torch::arange(2 * 2 * 3, torch::kFloat).view({1, 2, 2, 3});
  auto tokens = patchify(image, patch);
  // Frame 0 occupies the first h*w*c values in (h, w, c) order, the padded frames follow.
  EXPECT_TRUE(torch::equal(tokens.features[0].narrow(0, 0, 12), image.flatten()));
  EXPECT_EQ(tokens.features[0].narrow(0, 12, 36).abs().sum().item<float>(), 0.0f);
}

TEST(Patchify, RejectsSizesThatAreNotPatchMultiples) {
  PatchSize patch;
  try {
    patchify(torch::zeros({1, 30, 32, 3}), patch);
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a multiple"), std::string::npos) << e.what();
  }
}

TEST(Pack, OffsetsAndSegmentIds) {
  PatchSize patch{1, 2, 2, 3};
  auto a = patchify(torch::rand({1, 4, 4, 3}), patch);  // 4 tokens
  auto b = patchify(torch::rand({1, 2, 6, 3}), patch);  // 3 tokens
  auto packed = pack({a, b});
  EXPECT_EQ(packed.offsets, (std::vector<int64_t>{0, 4, 7}));
  EXPECT_EQ(packed.max_seqlen, 4);
  EXPECT_EQ(packed.cu_seqlens.scalar_type(), torch::kInt32);
  EXPECT_TRUE(torch::equal(segment_ids(packed), torch::tensor({0, 0, 0, 0, 1, 1, 1}, torch::kLong)));
}

}  // namespace
}  // namespace tetra::model
