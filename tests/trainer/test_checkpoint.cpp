#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/files.h"
#include "support/scratch_dir.h"
#include "trainer/state/checkpoint_store.h"
#include "trainer/state/optim.h"

namespace tetra::trainer {
namespace {
namespace fs = std::filesystem;

// root_ does not exist yet: the store creates it.
class CheckpointTest : public test_support::ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    root_ = dir_ / "checkpoints";
  }
  absl::StatusOr<CheckpointInfo> save(CheckpointStore& store, int64_t step) {
    return store.save(step, [&](const std::string& dir) {
      return common::write_file_atomic(dir + "/weights.bin", "weights of step " + std::to_string(step));
    });
  }
  fs::path root_;
};

TEST_F(CheckpointTest, SaveListAndPruneKeepsNewest) {
  CheckpointStore store(root_.string(), 2);
  for (int64_t step : {10, 20, 30}) ASSERT_TRUE(save(store, step).ok());
  auto all = store.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].step, 30);
  EXPECT_EQ(all[1].step, 20);
  EXPECT_TRUE(CheckpointStore::verify(all[0].dir).ok());
  EXPECT_TRUE(fs::exists(fs::path(all[0].dir) / "MANIFEST.json"));
}

TEST_F(CheckpointTest, CorruptNewestFallsBackToPrevious) {
  CheckpointStore store(root_.string(), 3);
  ASSERT_TRUE(save(store, 10).ok());
  auto newest = save(store, 20);
  ASSERT_TRUE(newest.ok());
  {  // flip bytes in place, same size: only the hash can catch it
    std::fstream f(newest->dir + "/weights.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f.write("XX", 2);
  }
  std::vector<std::string> rejected;
  auto found = store.latest_valid(&rejected);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->step, 10);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_NE(rejected[0].find("step-000000020"), std::string::npos) << rejected[0];
  EXPECT_NE(rejected[0].find("SHA-256"), std::string::npos) << rejected[0];
}

TEST_F(CheckpointTest, TruncatedOrMissingFilesAreRejected) {
  CheckpointStore store(root_.string(), 3);
  auto a = save(store, 1);
  ASSERT_TRUE(a.ok());
  fs::resize_file(a->dir + "/weights.bin", 3);
  EXPECT_FALSE(CheckpointStore::verify(a->dir).ok());
  EXPECT_EQ(CheckpointStore::verify(a->dir).code(), absl::StatusCode::kDataLoss);
  fs::remove(a->dir + "/weights.bin");
  auto status = CheckpointStore::verify(a->dir);
  EXPECT_NE(std::string(status.message()).find("missing"), std::string::npos) << status;
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  std::vector<std::string> rejected;
  EXPECT_FALSE(store.latest_valid(&rejected).ok());
  EXPECT_EQ(store.latest_valid(&rejected).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CheckpointTest, UnfinishedTempFolderIsInvisible) {
  CheckpointStore store(root_.string(), 3);
  ASSERT_TRUE(save(store, 5).ok());
  auto failed = store.save(6, [](const std::string& dir) {
    return absl::InternalError("simulated crash while writing");
  });
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInternal) << failed.status();
  auto all = store.list();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].step, 5);
}

TEST(Schedule, WarmupThenCosine) {
  LrSchedule o;
  o.lr = 1e-3;
  o.min_lr = 1e-4;
  o.warmup_steps = 10;
  EXPECT_NEAR(learning_rate_at(o, 0, 100), 1e-4, 1e-12);
  EXPECT_NEAR(learning_rate_at(o, 9, 100), 1e-3, 1e-12);
  EXPECT_NEAR(learning_rate_at(o, 10, 100), 1e-3, 1e-12);
  EXPECT_NEAR(learning_rate_at(o, 55, 100), 0.5 * (1e-3 + 1e-4), 1e-12);
  EXPECT_NEAR(learning_rate_at(o, 100, 100), 1e-4, 1e-12);
}

TEST(Files, Sha256OfKnownString) {
  EXPECT_EQ(common::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace tetra::trainer
