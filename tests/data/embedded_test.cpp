#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>

#include "data/data_test_support.h"
#include "data/embedded.h"
#include "data/shard.h"

namespace tetra::data {
namespace {

using testing::ReadBytes;
using testing::TempDir;

EmbeddedDatasetOptions SmallOptions() {
  EmbeddedDatasetOptions options;
  options.num_train = 20;
  options.num_heldout = 5;
  options.min_side = 16;
  options.max_side = 40;
  options.shard_size = 8;
  options.seed = 7;
  return options;
}

std::vector<ImageRecord> ReadAll(const std::string& dir) {
  std::vector<ImageRecord> records;
  absl::StatusOr<std::vector<std::string>> shards = ListShards(dir);
  EXPECT_TRUE(shards.ok()) << shards.status();
  if (!shards.ok()) return records;
  for (const std::string& path : *shards) {
    auto reader = ImageShardReader::Open(path);
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) continue;
    for (int64_t i = 0; i < (*reader)->size(); ++i) records.push_back(*(*reader)->Read(i));
  }
  return records;
}

TEST(Embedded, SameOptionsGiveIdenticalData) {
  TempDir a, b;
  ASSERT_TRUE(EnsureEmbeddedDataset(a.path(), SmallOptions()).ok());
  ASSERT_TRUE(EnsureEmbeddedDataset(b.path(), SmallOptions()).ok());
  for (const char* split : {"train", "heldout"}) {
    const std::vector<ImageRecord> ra = ReadAll(a.Sub(split)), rb = ReadAll(b.Sub(split));
    ASSERT_EQ(ra.size(), std::string(split) == "train" ? 20u : 5u);
    ASSERT_EQ(ra.size(), rb.size());
    for (size_t i = 0; i < ra.size(); ++i) {
      EXPECT_EQ(ra[i].source_id, rb[i].source_id);
      EXPECT_EQ(ra[i].bytes, rb[i].bytes);
    }
  }
  EXPECT_EQ(ReadBytes(a.Sub("train/shard-00002.h5")), ReadBytes(b.Sub("train/shard-00002.h5")));
  EXPECT_FALSE(std::filesystem::exists(a.Sub("train/shard-00003.h5")));
}

TEST(Embedded, ImagesAreVariedRawRgbWithinTheSizeRange) {
  TempDir dir;
  ASSERT_TRUE(EnsureEmbeddedDataset(dir.path(), SmallOptions()).ok());
  const std::vector<ImageRecord> train = ReadAll(dir.Sub("train"));
  const std::vector<ImageRecord> heldout = ReadAll(dir.Sub("heldout"));
  ASSERT_EQ(train.size(), 20u);
  std::set<int64_t> heights;
  for (const ImageRecord& r : train) {
    EXPECT_EQ(r.encoding, ImageEncoding::kRawRgb8);
    EXPECT_GE(std::min(r.height, r.width), 16);
    EXPECT_LE(std::max(r.height, r.width), 40);
    heights.insert(r.height);
    // Not a flat image: some channel value must differ from the first pixel.
    EXPECT_NE(std::count(r.bytes.begin(), r.bytes.end(), r.bytes[0]),
              static_cast<long>(r.bytes.size()));
  }
  EXPECT_GT(heights.size(), 3u);
  EXPECT_NE(train[0].bytes, train[1].bytes);
  ASSERT_FALSE(heldout.empty());
  EXPECT_NE(heldout[0].bytes, train[0].bytes) << "held-out images must not repeat train images";
}

TEST(Embedded, ReadyFileIsRespectedAndOptionChangesRebuild) {
  TempDir dir;
  EmbeddedDatasetOptions options = SmallOptions();
  ASSERT_TRUE(EnsureEmbeddedDataset(dir.path(), options).ok());
  ASSERT_TRUE(std::filesystem::exists(dir.Sub("READY")));
  const auto written = std::filesystem::last_write_time(dir.Sub("train/shard-00000.h5"));
  // A marker inside train/ survives only if the second call leaves the folder alone.
  testing::WriteBytes(dir.Sub("train/marker"), {1});
  ASSERT_TRUE(EnsureEmbeddedDataset(dir.path(), options).ok());
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("train/marker")));
  EXPECT_EQ(std::filesystem::last_write_time(dir.Sub("train/shard-00000.h5")), written);

  options.num_train = 9;
  ASSERT_TRUE(EnsureEmbeddedDataset(dir.path(), options).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("train/marker")));
  EXPECT_EQ(ReadAll(dir.Sub("train")).size(), 9u);
  const std::vector<uint8_t> ready = ReadBytes(dir.Sub("READY"));
  EXPECT_NE(std::string(ready.begin(), ready.end()).find("num_train=9\n"), std::string::npos);
}

TEST(Embedded, DefaultDatasetIsQuickToBuild) {
  TempDir dir;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(EnsureEmbeddedDataset(dir.path(), EmbeddedDatasetOptions{}).ok());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 5.0) << "the smoke run builds this dataset on first use";
  EXPECT_EQ(ReadAll(dir.Sub("train")).size(), 512u);
  EXPECT_EQ(ReadAll(dir.Sub("heldout")).size(), 64u);
  std::cout << "[ INFO ] default embedded dataset built in " << seconds << " s\n";
}

TEST(Embedded, InvalidOptionsAreRejected) {
  TempDir dir;
  EmbeddedDatasetOptions options = SmallOptions();
  options.max_side = 8;
  absl::Status status = EnsureEmbeddedDataset(dir.path(), options);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("max_side=8"), std::string::npos);
}

}  // namespace
}  // namespace tetra::data
