// The trainer's data-parallel rules that need no second rank: how the global batch is cut, what
// ranks compare, and where data cursors resume on another world size (checked against the stream).
#include <gtest/gtest.h>

#include <filesystem>

#include "data/embedded.h"
#include "data/shard.h"
#include "data/stream.h"
#include "trainer/batches.h"
#include "trainer/config.h"
#include "trainer/data_cursor.h"

namespace tetra::trainer {
namespace {
namespace fs = std::filesystem;

TEST(BatchPlan, GlobalBatchIsSplitOverRanksAndMicroBatches) {
  DataConfig d;
  d.batch_size = 16;
  auto plain = plan_batches(d, 2);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->micro_batch, 8);
  EXPECT_EQ(plain->micro_steps, 1);
  d.micro_batch_size = 2;
  auto accumulate = plan_batches(d, 2);
  ASSERT_TRUE(accumulate.ok()) << accumulate.status();
  EXPECT_EQ(accumulate->micro_batch, 2);
  EXPECT_EQ(accumulate->micro_steps, 4);
}

TEST(BatchPlan, UnevenSplitsNameTheKeys) {
  DataConfig d;
  d.batch_size = 15;
  auto status = plan_batches(d, 2).status();
  EXPECT_NE(std::string(status.message()).find("data.batch_size"), std::string::npos) << status;
  d.batch_size = 16;
  d.micro_batch_size = 3;
  status = plan_batches(d, 2).status();
  EXPECT_NE(std::string(status.message()).find("data.micro_batch_size (3) x 2"), std::string::npos) << status;
}

TEST(ConfigKeyValues, OneLinePerKeyWithItsSection) {
  Config c;
  c.optim.lr = 0.002;
  const std::string text = to_key_values(c);
  EXPECT_NE(text.find("optim.lr: 0.002\n"), std::string::npos) << text;
  EXPECT_NE(text.find("parallel.zero1: false\n"), std::string::npos) << text;
  EXPECT_NE(text.find("data.micro_batch_size: 0\n"), std::string::npos) << text;
}

TEST(DataCursor, SameWorldKeepsEveryCursor) {
  const std::vector<data::StreamCursor> cursors = {{2, 5}, {3, 0}};
  EXPECT_EQ(reshard_cursor(cursors, 1, 2), (data::StreamCursor{3, 0}));
}

TEST(DataCursor, EvenCursorsContinueAtTheSameGlobalPosition) {
  const std::vector<data::StreamCursor> two = {{0, 8}, {0, 8}};  // positions 0..15 consumed
  EXPECT_EQ(resume_position(two).position, 16);
  EXPECT_EQ(reshard_cursor(two, 0, 1), (data::StreamCursor{0, 16}));
  // Three ranks own positions r, r + 3, ...: those below 16 are 6, 5 and 5.
  EXPECT_EQ(reshard_cursor(two, 0, 3).index, 6);
  EXPECT_EQ(reshard_cursor(two, 1, 3).index, 5);
  EXPECT_EQ(reshard_cursor(two, 2, 3).index, 5);
}

TEST(DataCursor, UnevenOrRolledOverCursorsTakeTheFirstUnconsumedPosition) {
  EXPECT_EQ(resume_position({{0, 5}, {0, 4}}).position, 9);   // rank 1's next is 1 + 4 * 2
  const auto at = resume_position({{1, 0}, {0, 7}});          // rank 0 already in epoch 1
  EXPECT_EQ(at.epoch, 0);
  EXPECT_EQ(at.position, 15);
}

// The rule against the real stream: two ranks read 3 samples each; one process resuming from
// their cursors reads exactly what one process that read 6 samples reads next.
TEST(DataCursor, MatchesTheStreamsRankSharding) {
  const fs::path dir = fs::temp_directory_path() / ("tetra_cursor_" + std::to_string(::getpid()));
  data::EmbeddedDatasetOptions e;
  e.num_train = 20;
  e.num_heldout = 2;
  ASSERT_TRUE(data::EnsureEmbeddedDataset(dir.string(), e).ok());
  auto shards = data::ListShards((dir / "train").string());
  ASSERT_TRUE(shards.ok()) << shards.status();
  auto options = [&](int64_t rank, int64_t world) {
    data::StreamOptions o;
    o.shards = *shards;
    o.seed = 3;
    o.rank = rank;
    o.world = world;
    o.resolution = data::ResolutionRule{16, 64, 16};
    return o;
  };
  auto read = [&](data::ImageStream& s, int n, std::vector<std::string>* ids) {
    data::StreamCursor last;
    for (int i = 0; i < n; ++i) {
      auto sample = s.Next();
      EXPECT_TRUE(sample.ok()) << sample.status();
      if (ids) ids->push_back(sample->source_id);
      last = sample->next;
    }
    return last;
  };
  std::vector<data::StreamCursor> cursors;
  for (int64_t r = 0; r < 2; ++r) {
    auto s = data::ImageStream::Create(options(r, 2));
    ASSERT_TRUE(s.ok()) << s.status();
    cursors.push_back(read(**s, 3, nullptr));
  }
  auto single = data::ImageStream::Create(options(0, 1));
  ASSERT_TRUE(single.ok());
  read(**single, 6, nullptr);
  std::vector<std::string> expected, got;
  read(**single, 5, &expected);
  auto resumed = data::ImageStream::Create(options(0, 1), reshard_cursor(cursors, 0, 1));
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  read(**resumed, 5, &got);
  EXPECT_EQ(got, expected);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tetra::trainer
