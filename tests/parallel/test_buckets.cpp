#include <gtest/gtest.h>
#include <torch/torch.h>

#include "parallel/buckets.h"

namespace tetra::parallel {
namespace {

std::vector<torch::Tensor> params_of(const std::vector<int64_t>& numels, torch::ScalarType type = torch::kFloat) {
  std::vector<torch::Tensor> out;
  for (auto n : numels) out.push_back(torch::zeros({n}, type));
  return out;
}

TEST(Buckets, ReverseOrderWithASmallFirstBucket) {
  // 4-byte floats: first cap 40 bytes (10 elements), then 80 bytes (20 elements).
  auto plan = plan_buckets(params_of({6, 6, 6, 6, 6, 6, 6, 6}), 40, 80, 1);
  ASSERT_EQ(plan.buckets.size(), 3u);
  EXPECT_EQ(plan.buckets[0].entries[0].param, 7);  // the last parameter comes first
  EXPECT_EQ(plan.buckets[0].entries.size(), 2u);   // 48 bytes: closed once >= 40
  EXPECT_EQ(plan.buckets[1].entries.size(), 4u);   // 96 bytes: closed once >= 80
  EXPECT_EQ(plan.buckets[2].entries.size(), 2u);
  EXPECT_EQ(plan.bucket_of[0], 2);
  EXPECT_EQ(plan.entry_of[7], 0);
  EXPECT_EQ(plan.buckets[1].entries[1].param, 4);
  EXPECT_EQ(plan.buckets[1].entries[1].offset, 6);
  EXPECT_EQ(plan.buckets[1].padded_numel, 24);
}

TEST(Buckets, LargeParameterGetsItsOwnBucketAndDtypesDoNotMix) {
  auto params = params_of({1000, 2, 2});
  params.push_back(torch::zeros({3}, torch::kDouble));
  auto plan = plan_buckets(params, 16, 16, 1);
  ASSERT_EQ(plan.buckets.size(), 3u);
  EXPECT_EQ(plan.buckets[0].dtype, torch::kDouble);
  EXPECT_EQ(plan.buckets[1].dtype, torch::kFloat);
  EXPECT_EQ(plan.buckets[1].numel, 4);
  EXPECT_EQ(plan.buckets[2].numel, 1000);
}

TEST(Buckets, ShardSegmentsCoverEveryElementExactlyOnce) {
  for (int64_t shards : {1, 2, 3, 4, 7}) {
    auto plan = plan_buckets(params_of({5, 17, 1, 33, 8}), 1 << 20, 1 << 20, shards);
    ASSERT_EQ(plan.buckets.size(), 1u);
    const Bucket& b = plan.buckets[0];
    EXPECT_EQ(b.padded_numel % shards, 0);
    EXPECT_GE(b.padded_numel, b.numel);
    std::vector<std::vector<int>> seen = {std::vector<int>(5), std::vector<int>(17), std::vector<int>(1),
                                          std::vector<int>(33), std::vector<int>(8)};
    for (int64_t r = 0; r < shards; ++r)
      for (const auto& s : shard_segments(b, r, shards)) {
        EXPECT_LE(s.shard_offset + s.numel, b.padded_numel / shards);
        for (int64_t k = 0; k < s.numel; ++k) ++seen[s.param][s.param_offset + k];
      }
    for (const auto& p : seen)
      for (int count : p) EXPECT_EQ(count, 1) << shards << " shards";
  }
}

}  // namespace
}  // namespace tetra::parallel
