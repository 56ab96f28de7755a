// The files inside a checkpoint (trainer/state/checkpoint_files.h): each reader keeps the cause of
// a failure and says which file, with the status code a caller can act on.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "support/scratch_dir.h"
#include "trainer/config/config.h"
#include "trainer/state/checkpoint_files.h"
#include "trainer/state/training_state.h"

namespace tetra::trainer {
namespace {
namespace fs = std::filesystem;

using CheckpointFilesTest = test_support::ScratchDirTest;

TEST_F(CheckpointFilesTest, RankStateRoundTrips) {
  RankState state;
  state.step = 12;
  state.stage = 1;
  state.stage_step = 3;
  data::LoaderCursor cursor;
  cursor.epoch = 2;
  cursor.emitted = 7;
  state.cursors["image_rec"] = cursor;
  state.latent_rng = at::make_generator<at::CPUGeneratorImpl>(5).get_state();
  ASSERT_TRUE(write_rank_state(path("state.pt"), state).ok());
  auto read = read_rank_state(path("state.pt"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->step, 12);
  EXPECT_EQ(read->stage, 1);
  EXPECT_EQ(read->stage_step, 3);
  ASSERT_EQ(read->cursors.count("image_rec"), 1u);
  EXPECT_EQ(read->cursors.at("image_rec").epoch, 2);
  EXPECT_EQ(read->cursors.at("image_rec").emitted, 7);
  EXPECT_TRUE(torch::equal(read->latent_rng, state.latent_rng));
}

// A damaged cursor is reported as what it is (DataLoss, naming the task and the file), not as a
// model that does not fit.
TEST_F(CheckpointFilesTest, CorruptCursorIsDataLossNamingTaskAndFile) {
  torch::serialize::OutputArchive archive;
  archive.write("position", torch::tensor({int64_t{1}, int64_t{0}, int64_t{1}}));
  archive.write("cursors", c10::IValue(std::string(R"({"video_rec": "epoch=oops"})")));
  archive.write("latent_rng", at::make_generator<at::CPUGeneratorImpl>(1).get_state());
  archive.save_to(path("state.pt"));
  auto read = read_rank_state(path("state.pt"));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss) << read.status();
  const std::string message(read.status().message());
  EXPECT_NE(message.find("data cursor of task video_rec"), std::string::npos) << message;
  EXPECT_NE(message.find(path("state.pt")), std::string::npos) << message;
  EXPECT_EQ(message.find("model size"), std::string::npos) << message;
}

TEST_F(CheckpointFilesTest, UnreadableRankStateIsDataLoss) {
  std::ofstream(path("state.pt")) << "not an archive";
  auto read = read_rank_state(path("state.pt"));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss) << read.status();
  EXPECT_NE(std::string(read.status().message()).find(path("state.pt")), std::string::npos);
}

TEST_F(CheckpointFilesTest, PositionMissingIsNotFoundAndGarbageIsDataLoss) {
  auto missing = read_position(dir_.string());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  std::ofstream(path(kPositionFile)) << "{not json";
  auto garbage = read_position(dir_.string());
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kDataLoss) << garbage.status();
}

Config tiny_config(int64_t width) {
  auto config = parse_config("model: {preset: tiny}\nstages:\n  - steps: 1\n", "t.yaml",
                             {"model.width=" + std::to_string(width)});
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

// One loader for resume, run.init_from and tetra-eval: the weights and EMA come back exactly, and a
// model of another size fails with FailedPrecondition naming who asked and what to check.
TEST_F(CheckpointFilesTest, WeightsRoundTripAndMismatchNamesTheSetting) {
  const Config config = tiny_config(64);
  Trainable saved = make_trainable(config);
  WeightEma saved_ema(*saved, 0.5);
  { torch::NoGradGuard no_grad; for (auto& p : saved->parameters()) p.add_(1.0); }
  saved_ema.update();
  ASSERT_TRUE(save_weights(dir_.string(), saved, saved_ema).ok());

  Trainable loaded = make_trainable(config);
  WeightEma loaded_ema(*loaded, 0.5);
  ASSERT_TRUE(load_weights(dir_.string(), loaded, &loaded_ema, torch::kCPU, "run.init_from", "check").ok());
  auto a = saved->parameters(), b = loaded->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i]));
  saved_ema.swap_into_model();
  loaded_ema.swap_into_model();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "EMA differs at " << i;

  Trainable other = make_trainable(tiny_config(96));
  auto status = load_weights(dir_.string(), other, nullptr, torch::kCPU, "run.init_from", "check the model: section");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  const std::string message(status.message());
  EXPECT_EQ(message.rfind("run.init_from: checkpoint " + dir_.string() + " does not fit this model", 0), 0u) << message;
  EXPECT_NE(message.find("check the model: section"), std::string::npos) << message;
}

}  // namespace
}  // namespace tetra::trainer
