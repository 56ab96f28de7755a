// The multi-modal Loader: epoch coverage, rank sharding, thread-independence, exact resume, the
// rule for a changed world size, token budgets, corrupt data and clear start-up errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "data/data_test_support.h"
#include "data/media/image_encode.h"
#include "data/loader/loader.h"
#include "data/synthetic/synthetic_media.h"
#include "data/shards/video_shard.h"

namespace tetra::data {
namespace {

using testing::PatternImage;
using testing::TempDir;

// 23 images over shards of 8, 8 and 7; sizes vary so token counts vary. Sample `corrupt` gets
// garbage bytes.
std::string WriteImages(const TempDir& dir, int corrupt = -1) {
  const std::string root = dir.Sub("images");
  std::filesystem::create_directories(root);
  int next = 0;
  for (int shard = 0; shard < 3; ++shard) {
    std::vector<ImageRecord> records;
    for (int i = 0; i < (shard == 2 ? 7 : 8); ++i, ++next) {
      ImageRecord r = testing::RawRecord("img" + std::to_string(next),
                                         PatternImage(16 + 16 * (next % 3), 32 + next, next));
      if (next == corrupt) {
        r.encoding = ImageEncoding::kPng;
        r.bytes.assign(40, 7);
      }
      records.push_back(r);
    }
    testing::WriteShard(root + "/shard-0000" + std::to_string(shard) + ".h5", records);
  }
  return root;
}

LoaderOptions ImageOptions(const std::string& path) {
  LoaderOptions o;
  o.path = path;
  o.seed = 5;
  o.shuffle_buffer = 6;
  o.resolution = {16, 48, 16};
  o.max_tokens = 12;
  o.prefetch = 5;
  return o;
}

std::unique_ptr<Loader> Make(const LoaderOptions& o, const LoaderCursor& start = {}) {
  absl::StatusOr<std::unique_ptr<Loader>> loader = Loader::create(o, start);
  EXPECT_TRUE(loader.ok()) << loader.status();
  return loader.ok() ? std::move(*loader) : nullptr;
}

std::vector<Batch> Take(Loader& loader, int n) {
  std::vector<Batch> out;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<Batch> b = loader.next();
    EXPECT_TRUE(b.ok()) << b.status();
    if (!b.ok()) break;
    out.push_back(std::move(*b));
  }
  return out;
}

std::vector<std::string> Ids(const std::vector<Batch>& batches) {
  std::vector<std::string> ids;
  for (const Batch& b : batches) {
    for (const Sample& s : b.samples) ids.push_back(s.source_id);
  }
  return ids;
}

TEST(Loader, EveryEpochVisitsEachSampleOnceAcrossRanks) {
  TempDir dir;
  const std::string path = WriteImages(dir);
  std::map<std::string, int> seen;
  for (int rank = 0; rank < 3; ++rank) {
    LoaderOptions o = ImageOptions(path);
    o.rank = rank;
    o.world = 3;
    auto loader = Make(o);
    ASSERT_NE(loader, nullptr);
    int64_t epoch0 = 0;
    bool next_epoch = false;
    while (!next_epoch) {
      absl::StatusOr<Batch> b = loader->next();
      ASSERT_TRUE(b.ok()) << b.status();
      for (const Sample& s : b->samples) {
        next_epoch = next_epoch || s.epoch == 1;
        if (s.epoch == 0) {
          ++seen[s.source_id];
          ++epoch0;
        }
      }
    }
    EXPECT_EQ(epoch0, (23 - rank + 2) / 3) << "rank " << rank << "'s share";
  }
  EXPECT_EQ(seen.size(), 23u);
  for (const auto& [id, count] : seen) EXPECT_EQ(count, 1) << id;
}

TEST(Loader, BatchesRespectTheTokenBudgetAndPackTokens) {
  TempDir dir;
  LoaderOptions o = ImageOptions(WriteImages(dir));
  auto loader = Make(o);
  ASSERT_NE(loader, nullptr);
  for (const Batch& b : Take(*loader, 10)) {
    ASSERT_FALSE(b.samples.empty());
    EXPECT_TRUE(b.num_tokens <= o.max_tokens || b.samples.size() == 1) << b.num_tokens;
    ASSERT_EQ(b.cu_seqlens.size(), b.samples.size() + 1);
    EXPECT_EQ(b.cu_seqlens.back(), b.num_tokens);
    EXPECT_EQ(b.features.size(), static_cast<size_t>(b.num_tokens * 3072));
    EXPECT_EQ(b.coords.size(), static_cast<size_t>(b.num_tokens * 4));
    // Token 0 of the first sample: pixel (0, 0) of frame 0, scaled to [-1, 1]; frames 1..3 zero.
    const Sample& s = b.samples[0];
    EXPECT_EQ(s.grid.tokens, s.height / 16 * s.width / 16);
    EXPECT_FLOAT_EQ(b.features[0], s.pixels[0] / 127.5f - 1.0f);
    EXPECT_FLOAT_EQ(b.features[768 + 5], 0.0f) << "temporal zero-padding";
    // The last token of the first sample sits at the bottom-right patch.
    const int32_t* last = &b.coords[(s.grid.tokens - 1) * 4];
    EXPECT_EQ(last[1], s.grid.h - 1);
    EXPECT_EQ(last[2], s.grid.w - 1);
  }
}

TEST(Loader, ThreadCountDoesNotChangeTheStream) {
  TempDir dir;
  LoaderOptions o = ImageOptions(WriteImages(dir));
  o.downscale_probability = 0.5;
  o.threads = 1;
  auto one = Make(o);
  o.threads = 3;
  auto three = Make(o);
  ASSERT_NE(one, nullptr);
  ASSERT_NE(three, nullptr);
  const std::vector<Batch> a = Take(*one, 12), b = Take(*three, 12);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(Ids({a[i]}), Ids({b[i]}));
    EXPECT_EQ(a[i].features, b[i].features);
    EXPECT_EQ(a[i].next, b[i].next);
  }
}

TEST(Loader, ResumesExactlyMidEpochAndAcrossEpochs) {
  TempDir dir;
  LoaderOptions o = ImageOptions(WriteImages(dir));
  o.downscale_probability = 0.5;
  o.world = 2;
  o.rank = 1;
  auto full = Make(o);
  ASSERT_NE(full, nullptr);
  const std::vector<Batch> reference = Take(*full, 14);  // more than an epoch of rank 1
  for (size_t cut : {1u, 4u, 9u}) {
    const LoaderCursor saved = *parse_cursor(format_cursor(reference[cut - 1].next));
    auto resumed = Make(o, saved);
    ASSERT_NE(resumed, nullptr);
    const std::vector<Batch> rest = Take(*resumed, static_cast<int>(reference.size() - cut));
    for (size_t i = 0; i < rest.size(); ++i) {
      EXPECT_EQ(Ids({rest[i]}), Ids({reference[cut + i]})) << "cut " << cut << " batch " << i;
      EXPECT_EQ(rest[i].features, reference[cut + i].features);
    }
  }
}

TEST(Loader, ACursorFromOtherDataOrRanksIsRefused) {
  TempDir dir;
  LoaderOptions o = ImageOptions(WriteImages(dir));
  auto loader = Make(o);
  ASSERT_NE(loader, nullptr);
  LoaderCursor c = Take(*loader, 2).back().next;
  c.consumed += 1;
  absl::StatusOr<std::unique_ptr<Loader>> mismatched = Loader::create(o, c);
  EXPECT_FALSE(mismatched.ok()) << "derived fields must match a replay";
  EXPECT_EQ(mismatched.status().code(), absl::StatusCode::kFailedPrecondition) << mismatched.status();
  c.consumed -= 1;
  o.rank = 1;
  o.world = 2;
  absl::StatusOr<std::unique_ptr<Loader>> other = Loader::create(o, c);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("resume_cursor"), std::string::npos) << other.status();
}

TEST(Loader, ChangingTheWorldSizeSkipsNothing) {
  TempDir dir;
  const std::string path = WriteImages(dir);
  std::vector<LoaderCursor> saved;
  std::set<std::string> emitted;
  for (int rank = 0; rank < 2; ++rank) {
    LoaderOptions o = ImageOptions(path);
    o.rank = rank;
    o.world = 2;
    auto loader = Make(o);
    ASSERT_NE(loader, nullptr);
    const std::vector<Batch> batches = Take(*loader, rank == 0 ? 2 : 3);
    for (const std::string& id : Ids(batches)) emitted.insert(id);
    saved.push_back(batches.back().next);
  }
  std::set<std::string> after;
  for (int rank = 0; rank < 3; ++rank) {
    LoaderOptions o = ImageOptions(path);
    o.rank = rank;
    o.world = 3;
    absl::StatusOr<LoaderCursor> start = Loader::resume_cursor(o, saved);
    ASSERT_TRUE(start.ok()) << start.status();
    EXPECT_EQ(start->epoch, 0);
    auto loader = Make(o, *start);
    ASSERT_NE(loader, nullptr);
    bool next_epoch = false;
    while (!next_epoch) {
      absl::StatusOr<Batch> b = loader->next();
      ASSERT_TRUE(b.ok());
      for (const Sample& s : b->samples) {
        if (s.epoch == 0) after.insert(s.source_id);
        next_epoch = next_epoch || s.epoch == 1;
      }
    }
  }
  for (int i = 0; i < 23; ++i) {
    const std::string id = "img" + std::to_string(i);
    EXPECT_TRUE(emitted.count(id) > 0 || after.count(id) > 0) << id << " was skipped";
  }
  EXPECT_LT(after.size(), 23u) << "the resumed ranks start mid-epoch";
}

TEST(Loader, SkipsCorruptSamplesAndShardsAndCountsThem) {
  TempDir dir;
  const std::string path = WriteImages(dir, /*corrupt=*/4);
  testing::WriteBytes(path + "/shard-00009.h5", {'b', 'a', 'd'});
  LoaderOptions o = ImageOptions(path);
  o.shuffle = false;
  auto loader = Make(o);
  ASSERT_NE(loader, nullptr);
  std::vector<std::string> ids;
  while (ids.size() < 22) {
    absl::StatusOr<Batch> b = loader->next();
    ASSERT_TRUE(b.ok());
    for (const Sample& s : b->samples) ids.push_back(s.source_id);
  }
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "img4"), 0);
  EXPECT_EQ(ids[4], "img5");
  EXPECT_EQ(loader->stats().skipped_corrupt, 1);
  EXPECT_EQ(loader->stats().skipped_shards, 1);
  EXPECT_EQ(loader->total_samples(), 23);
}

TEST(Loader, StartUpErrorsAreClear) {
  TempDir dir;
  LoaderOptions o = ImageOptions(dir.Sub("missing"));
  absl::StatusOr<std::unique_ptr<Loader>> missing = Loader::create(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);
  o.path = WriteImages(dir);
  o.modality = Modality::kVideo;
  absl::StatusOr<std::unique_ptr<Loader>> wrong = Loader::create(o);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("video shard was expected"), std::string::npos)
      << wrong.status();
  o.modality = Modality::kImage;
  o.world = 40;
  o.rank = 30;
  absl::StatusOr<std::unique_ptr<Loader>> starved = Loader::create(o);
  EXPECT_FALSE(starved.ok()) << "23 samples cannot feed 40 ranks";
  EXPECT_EQ(starved.status().code(), absl::StatusCode::kFailedPrecondition) << starved.status();
}

TEST(Loader, StageResolutionFollowsSpecSectionFour) {
  EXPECT_EQ(stage_resolution(1, Modality::kImage)->max_side, 512);
  EXPECT_EQ(stage_resolution(2, Modality::kImage)->max_side, 1024);
  EXPECT_EQ(stage_resolution(3, Modality::kImage)->max_side, 2048);
  EXPECT_EQ(stage_resolution(2, Modality::kVideo)->max_side, 512);
  EXPECT_EQ(stage_resolution(4, Modality::kVideo)->max_side, 1024);
  EXPECT_EQ(stage_resolution(3, Modality::kVideo)->min_side, 64);
  EXPECT_FALSE(stage_resolution(1, Modality::kVideo).ok()) << "stage 1 has no videos";
  EXPECT_FALSE(stage_resolution(3, Modality::k3d).ok());
  EXPECT_FALSE(stage_resolution(5, Modality::kImage).ok());
  EXPECT_EQ(stage_resolution(1, Modality::kVideo).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(stage_resolution(3, Modality::k3d).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(stage_resolution(5, Modality::kImage).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Loader, RandomDownscalingShrinksSomeSamplesWithinTheRule) {
  TempDir dir;
  LoaderOptions o = ImageOptions(WriteImages(dir));
  o.shuffle = false;
  o.max_samples = 1;
  o.max_tokens = 1000;
  auto plain = Make(o);
  o.downscale_probability = 1.0;
  auto scaled = Make(o);
  ASSERT_NE(plain, nullptr);
  ASSERT_NE(scaled, nullptr);
  int smaller = 0;
  for (int i = 0; i < 23; ++i) {
    const Sample p = Take(*plain, 1)[0].samples[0];
    const Sample s = Take(*scaled, 1)[0].samples[0];
    ASSERT_EQ(p.source_id, s.source_id);
    EXPECT_LE(s.height * s.width, p.height * p.width);
    EXPECT_GE(std::min(s.height, s.width), 16) << "never below one patch";
    EXPECT_EQ(s.height % 16, 0);
    smaller += s.height * s.width < p.height * p.width ? 1 : 0;
  }
  EXPECT_GT(smaller, 5) << "a factor uniform in [min/side, 1] shrinks most samples";
}

TEST(Loader, CursorTextRoundTrips) {
  LoaderCursor c{3, 7, 8, 2, 100, 1124, "shard-00003.h5", 17};
  absl::StatusOr<LoaderCursor> back = parse_cursor(format_cursor(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, c);
  EXPECT_FALSE(parse_cursor("epoch=1 bogus=2").ok());
  EXPECT_EQ(parse_cursor("epoch=1 bogus=2").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Loader, VideoWindowsBecomeFourLatentSteps) {
  TempDir dir;
  std::filesystem::create_directories(dir.Sub("videos"));
  auto writer = VideoShardWriter::create(dir.Sub("videos/shard-00000.h5"));
  ASSERT_TRUE(writer.ok());
  for (int clip = 0; clip < 3; ++clip) {
    VideoRecord r;
    r.info = {"clip" + std::to_string(clip), ImageEncoding::kJpeg, 40, 56, 8, 0, 40, 56, 8};
    for (int k = 0; k < 20 + clip * 10; ++k) {
      r.frames.push_back(*encode_jpeg_bytes(synthetic_frame(k, 40, 56), 95));
    }
    ASSERT_TRUE((*writer)->add(r).ok());
  }
  ASSERT_TRUE((*writer)->finish().ok());
  LoaderOptions o;
  o.modality = Modality::kVideo;
  o.path = dir.Sub("videos");
  o.resolution = {32, 64, 16};
  o.max_tokens = 1;  // one clip per batch
  auto loader = Make(o);
  ASSERT_NE(loader, nullptr);
  for (const Batch& b : Take(*loader, 6)) {
    ASSERT_EQ(b.samples.size(), 1u);
    const Sample& s = b.samples[0];
    EXPECT_EQ(s.frames, 16);
    EXPECT_EQ(s.grid.t, 4);
    EXPECT_EQ(s.height, 32);
    EXPECT_EQ(s.width, 48);
    EXPECT_EQ(b.num_tokens, 4 * 2 * 3);
    EXPECT_GE(s.window_stride, 1);
    EXPECT_LE(s.window_stride, 3);
    // Token (t=1) holds frames 4..7: its first value is frame 4's top-left pixel.
    const int64_t token = 1 * 2 * 3;
    EXPECT_EQ(b.coords[token * 4], 1);
    EXPECT_FLOAT_EQ(b.features[token * 3072], s.pixels[4 * 32 * 48 * 3] / 127.5f - 1.0f);
    // Frame 4 of the window is source frame start + 4 * stride: its grey level says so.
    const int64_t source = s.window_start + 4 * s.window_stride;
    EXPECT_NEAR(s.pixels[(4 * 32 * 48 + 31 * 48) * 3], frame_level(source), 6.0);
  }
}

}  // namespace
}  // namespace tetra::data
