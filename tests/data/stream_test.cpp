#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "data/data_test_support.h"
#include "data/stream.h"

namespace tetra::data {
namespace {

using testing::PatternImage;
using testing::RawRecord;
using testing::TempDir;
using testing::WriteShard;

// 20 samples over shards of 7, 7 and 6; ids "s00".."s19", sizes vary so crops vary.
std::vector<std::string> WriteDataset(const TempDir& dir, int corrupt_index = -1) {
  std::vector<std::string> paths;
  int next = 0;
  for (int shard : {0, 1, 2}) {
    std::vector<ImageRecord> records;
    for (int i = 0; i < (shard == 2 ? 6 : 7); ++i, ++next) {
      char id[8];
      std::snprintf(id, sizeof(id), "s%02d", next);
      ImageRecord record = next % 3 == 0
                               ? testing::PngRecord(id, PatternImage(20 + next, 30, next))
                               : RawRecord(id, PatternImage(24, 18 + next, next));
      if (next == corrupt_index) {
        record.encoding = ImageEncoding::kPng;
        record.bytes.assign(64, 0x42);  // garbage where a PNG should be
      }
      records.push_back(record);
    }
    paths.push_back(dir.Sub("shard-" + std::to_string(shard) + ".h5"));
    WriteShard(paths.back(), records);
  }
  return paths;
}

StreamOptions Options(const std::vector<std::string>& shards) {
  StreamOptions options;
  options.shards = shards;
  options.seed = 99;
  options.resolution = {16, 32, 8};
  options.prefetch = 4;
  return options;
}

std::unique_ptr<ImageStream> Make(const StreamOptions& options, StreamCursor start = {}) {
  absl::StatusOr<std::unique_ptr<ImageStream>> stream = ImageStream::Create(options, start);
  EXPECT_TRUE(stream.ok()) << stream.status();
  return stream.ok() ? std::move(*stream) : nullptr;
}

std::vector<StreamSample> Take(ImageStream& stream, int64_t n) {
  std::vector<StreamSample> out;
  for (int64_t i = 0; i < n; ++i) {
    absl::StatusOr<StreamSample> sample = stream.Next();
    EXPECT_TRUE(sample.ok()) << sample.status();
    if (!sample.ok()) break;
    out.push_back(std::move(*sample));
  }
  return out;
}

std::vector<std::string> Ids(const std::vector<StreamSample>& samples) {
  std::vector<std::string> ids;
  for (const StreamSample& s : samples) ids.push_back(s.source_id);
  return ids;
}

TEST(Stream, EachEpochIsAPermutationOfAllSamples) {
  TempDir dir;
  auto stream = Make(Options(WriteDataset(dir)));
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(stream->samples_per_epoch(), 20);
  const std::vector<StreamSample> two_epochs = Take(*stream, 40);
  ASSERT_EQ(two_epochs.size(), 40u);
  const std::vector<std::string> ids = Ids(two_epochs);
  const std::vector<std::string> first(ids.begin(), ids.begin() + 20);
  const std::vector<std::string> second(ids.begin() + 20, ids.end());
  EXPECT_EQ(std::set<std::string>(first.begin(), first.end()).size(), 20u);
  EXPECT_EQ(std::set<std::string>(first.begin(), first.end()),
            std::set<std::string>(second.begin(), second.end()));
  EXPECT_NE(first, second) << "epochs must be shuffled differently";
  std::vector<std::string> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_NE(first, sorted) << "shuffle=true must not keep file order";
  EXPECT_EQ(two_epochs[19].next, (StreamCursor{1, 0}));
  EXPECT_EQ(two_epochs[20].next, (StreamCursor{1, 1}));
  for (const StreamSample& s : two_epochs) {
    EXPECT_EQ(s.image.height % 8, 0);
    EXPECT_EQ(s.image.width % 8, 0);
    EXPECT_LE(std::max(s.image.height, s.image.width), 32);
  }
  EXPECT_EQ(stream->stats().delivered, 40);
  EXPECT_EQ(stream->stats().skipped_corrupt, 0);
}

TEST(Stream, WithoutShuffleTheOrderIsShardOrder) {
  TempDir dir;
  StreamOptions options = Options(WriteDataset(dir));
  options.shuffle = false;
  auto stream = Make(options);
  ASSERT_NE(stream, nullptr);
  const std::vector<std::string> ids = Ids(Take(*stream, 20));
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(ids, sorted);
}

TEST(Stream, RanksAreDisjointAndCoverTheEpoch) {
  TempDir dir;
  StreamOptions options = Options(WriteDataset(dir));
  options.world = 2;
  std::set<std::string> seen;
  for (int64_t rank : {0, 1}) {
    options.rank = rank;
    auto stream = Make(options);
    ASSERT_NE(stream, nullptr);
    ASSERT_EQ(stream->samples_per_epoch(), 10);
    for (const std::string& id : Ids(Take(*stream, 10))) {
      EXPECT_TRUE(seen.insert(id).second) << id << " was given to both ranks";
    }
  }
  EXPECT_EQ(seen.size(), 20u);
}

// Resuming from any cursor must reproduce the rest of the uninterrupted stream, pixels included:
// random crops depend only on (seed, epoch, sample).
TEST(Stream, ResumeFromACursorRepeatsTheStreamExactly) {
  TempDir dir;
  const StreamOptions options = Options(WriteDataset(dir));
  auto full = Make(options);
  ASSERT_NE(full, nullptr);
  const std::vector<StreamSample> reference = Take(*full, 45);
  ASSERT_EQ(reference.size(), 45u);
  for (int64_t k : {7, 19, 20, 33}) {
    SCOPED_TRACE(::testing::Message() << "resume after " << k << " samples");
    auto resumed = Make(options, reference[k - 1].next);
    ASSERT_NE(resumed, nullptr);
    const std::vector<StreamSample> rest = Take(*resumed, 45 - k);
    ASSERT_EQ(rest.size(), static_cast<size_t>(45 - k));
    for (size_t i = 0; i < rest.size(); ++i) {
      EXPECT_EQ(rest[i].source_id, reference[k + i].source_id);
      EXPECT_EQ(rest[i].image.height, reference[k + i].image.height);
      EXPECT_EQ(rest[i].image.rgb, reference[k + i].image.rgb);
      EXPECT_EQ(rest[i].next, reference[k + i].next);
    }
  }
}

TEST(Stream, CorruptSampleIsSkippedAndCounted) {
  TempDir dir;
  auto stream = Make(Options(WriteDataset(dir, /*corrupt_index=*/9)));
  ASSERT_NE(stream, nullptr);
  // 19 good samples end epoch 0; one more proves the producer has walked past the bad one.
  const std::vector<StreamSample> samples = Take(*stream, 20);
  ASSERT_EQ(samples.size(), 20u);
  const std::vector<std::string> ids = Ids(samples);
  const std::set<std::string> epoch0(ids.begin(), ids.begin() + 19);
  EXPECT_EQ(epoch0.size(), 19u);
  EXPECT_EQ(epoch0.count("s09"), 0u);
  EXPECT_EQ(samples[19].next, (StreamCursor{1, 1})) << "the bad sample still uses up its position";
  EXPECT_GE(stream->stats().skipped_corrupt, 1);
  EXPECT_EQ(stream->stats().delivered, 20);
}

TEST(Stream, AnEpochWithNoReadableSampleIsAnError) {
  TempDir dir;
  ImageRecord bad{"bad", ImageEncoding::kJpeg, 4, 4, std::vector<uint8_t>(32, 0xff)};
  WriteShard(dir.Sub("bad.h5"), {bad, bad, bad});
  auto stream = Make(Options({dir.Sub("bad.h5")}));
  ASSERT_NE(stream, nullptr);
  absl::StatusOr<StreamSample> first = stream->Next();
  ASSERT_FALSE(first.ok());
  EXPECT_NE(first.status().message().find("failed to read or decode"), std::string::npos);
  EXPECT_FALSE(stream->Next().ok()) << "the error must persist";
  EXPECT_EQ(stream->stats().skipped_corrupt, 3);
}

TEST(Stream, CreateRejectsBadOptionsAndCursors) {
  TempDir dir;
  StreamOptions options = Options(WriteDataset(dir));
  EXPECT_FALSE(ImageStream::Create(options, {0, 21}).ok());
  EXPECT_TRUE(ImageStream::Create(options, {0, 20}).ok()) << "end of epoch 0 is epoch 1";
  options.rank = 2;
  options.world = 2;
  EXPECT_FALSE(ImageStream::Create(options).ok());
  options.rank = 0;
  options.resolution = {64, 32, 16};
  EXPECT_FALSE(ImageStream::Create(options).ok());
  EXPECT_FALSE(ImageStream::Create(Options({})).ok());
  EXPECT_FALSE(ImageStream::Create(Options({dir.Sub("missing.h5")})).ok());
}

TEST(Stream, DestructionWithAFullQueueIsPrompt) {
  TempDir dir;
  StreamOptions options = Options(WriteDataset(dir));
  options.prefetch = 1;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    auto stream = Make(options);
    ASSERT_NE(stream, nullptr);
    if (i % 2 == 0) Take(*stream, 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the producer block
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace tetra::data
