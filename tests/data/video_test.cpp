// Video shards, the libav decode/resample path and `pack videos`, on synthetic clips encoded with
// the real libav encoders (real clips: tests/integration/pack_media.sh).
#include <gtest/gtest.h>

#include <filesystem>

#include "data/data_test_support.h"
#include "data/media/image_encode.h"
#include "data/pack/videos.h"
#include "data/loader/video_window.h"
#include "data/synthetic/synthetic_media.h"
#include "data/media/video_decode.h"
#include "data/shards/video_shard.h"

namespace tetra::data {
namespace {

using testing::ReadBytes;
using testing::TempDir;
using testing::WriteBytes;

double MeanLevel(const Image& image) {
  // The bright square covers the top rows; the bottom half is the flat grey level.
  double sum = 0;
  int64_t n = 0;
  for (int64_t y = image.height / 2; y < image.height; ++y) {
    for (int64_t x = 0; x < image.width; ++x, ++n) sum += image.rgb[(y * image.width + x) * 3];
  }
  return sum / static_cast<double>(n);
}

TEST(VideoDecode, ResamplesToTheTargetRateByNearestTimestamp) {
  TempDir dir;
  const std::string path = dir.Sub("clip.avi");
  ASSERT_TRUE(write_synthetic_video(path, {24, 48, 64, 24, "mpeg4", "yuv420p"}).ok());
  std::vector<Image> frames;
  const std::function<absl::Status(Image&&)> sink = [&](Image&& f) {
    frames.push_back(std::move(f));
    return absl::OkStatus();
  };
  absl::StatusOr<DecodedClip> clip = decode_video_file(path, {8, 0, 0}, sink);
  ASSERT_TRUE(clip.ok()) << clip.status();
  EXPECT_EQ(clip->source_fps, 24);
  EXPECT_EQ(clip->fps, 8);
  ASSERT_EQ(frames.size(), 8u) << "1 s at 8 fps";
  for (size_t k = 0; k < frames.size(); ++k) {
    EXPECT_NEAR(MeanLevel(frames[k]), frame_level(static_cast<int64_t>(k) * 3), 4.0) << k;
  }
}

TEST(VideoDecode, UpsamplesAndDownscales) {
  TempDir dir;
  const std::string path = dir.Sub("clip.mkv");
  ASSERT_TRUE(write_synthetic_video(path, {10, 64, 96, 10, "mpeg4", "yuv420p"}).ok());
  std::vector<Image> frames;
  const std::function<absl::Status(Image&&)> sink = [&](Image&& f) {
    frames.push_back(std::move(f));
    return absl::OkStatus();
  };
  absl::StatusOr<DecodedClip> clip = decode_video_file(path, {25, 48, 0}, sink);
  ASSERT_TRUE(clip.ok()) << clip.status();
  ASSERT_EQ(frames.size(), 25u);
  EXPECT_EQ(frames[0].height, 32);
  EXPECT_EQ(frames[0].width, 48);
  EXPECT_NEAR(MeanLevel(frames[6]), frame_level(2), 4.0) << "0.24 s is nearest to frame 2 (0.2 s)";
  EXPECT_NEAR(MeanLevel(frames[8]), frame_level(3), 4.0) << "0.32 s is nearest to frame 3 (0.3 s)";
}

TEST(VideoDecode, H264FourFourFour) {
  TempDir dir;
  const std::string path = dir.Sub("clip.mp4");
  absl::Status written = write_synthetic_video(path, {8, 32, 48, 8, "libx264", "yuv444p"});
  if (!written.ok()) GTEST_SKIP() << "this libavcodec cannot encode H.264 4:4:4: " << written;
  int64_t count = 0;
  double level = 0;
  const std::function<absl::Status(Image&&)> sink = [&](Image&& f) {
    if (count++ == 4) level = MeanLevel(f);
    return absl::OkStatus();
  };
  absl::StatusOr<DecodedClip> clip = decode_video_file(path, {}, sink);
  ASSERT_TRUE(clip.ok()) << clip.status();
  EXPECT_EQ(count, 8);
  EXPECT_NEAR(level, frame_level(4), 4.0);
}

TEST(PackVideos, PacksClipsReportsBadFilesAndResumes) {
  TempDir dir;
  std::filesystem::create_directories(dir.Sub("in/b"));
  ASSERT_TRUE(write_synthetic_video(dir.Sub("in/a.avi"), {24, 48, 64, 24, "mpeg4", "yuv420p"}).ok());
  ASSERT_TRUE(write_synthetic_video(dir.Sub("in/b/c.mkv"), {12, 32, 32, 12, "mpeg4", "yuv420p"}).ok());
  ASSERT_TRUE(write_synthetic_video(dir.Sub("in/d.mp4"), {16, 32, 48, 16, "mpeg4", "yuv420p"}).ok());
  WriteBytes(dir.Sub("in/empty.mp4"), {});
  std::vector<uint8_t> truncated = ReadBytes(dir.Sub("in/a.avi"));
  truncated.resize(truncated.size() / 3);
  WriteBytes(dir.Sub("in/trunc.avi"), truncated);
  WriteBytes(dir.Sub("in/text.mov"), {'n', 'o', 't', ' ', 'a', ' ', 'v', 'i', 'd', 'e', 'o'});
  WriteBytes(dir.Sub("in/readme.txt"), {'x'});

  PackVideosOptions options;
  options.in_dir = dir.Sub("in");
  options.out_dir = dir.Sub("out");
  options.shard_size = 2;
  options.fps = 8;
  absl::StatusOr<PackReport> report = pack_videos(options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->packed, 3);
  EXPECT_EQ(report->shards, 2);
  EXPECT_EQ(report->ignored, 1);
  ASSERT_EQ(report->skipped.size(), 3u);
  EXPECT_EQ(report->skipped[0].rfind("empty.mp4: ", 0), 0u) << report->skipped[0];
  EXPECT_EQ(report->skipped[1].rfind("text.mov: ", 0), 0u) << report->skipped[1];
  EXPECT_EQ(report->skipped[2].rfind("trunc.avi: ", 0), 0u) << report->skipped[2];

  auto reader = VideoShardReader::open(dir.Sub("out/shard-00000.h5"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  const VideoInfo& a = (*reader)->info(0);
  EXPECT_EQ(a.source_id, "a.avi");
  EXPECT_EQ(a.num_frames, 8);
  EXPECT_EQ(a.fps, 8);
  EXPECT_EQ(a.source_fps, 24);
  EXPECT_EQ(a.height, 48);
  EXPECT_EQ(a.width, 64);
  EXPECT_EQ((*reader)->info(1).source_id, "b/c.mkv");
  absl::StatusOr<std::vector<Image>> frames = (*reader)->decode_frames(0, {2, 5});
  ASSERT_TRUE(frames.ok()) << frames.status();
  EXPECT_NEAR(MeanLevel((*frames)[0]), frame_level(6), 5.0);
  EXPECT_NEAR(MeanLevel((*frames)[1]), frame_level(15), 5.0);
  EXPECT_FALSE((*reader)->read_frames(0, {8}).ok()) << "frame 8 of 8 is out of range";
  EXPECT_EQ((*reader)->read_frames(0, {8}).status().code(), absl::StatusCode::kOutOfRange);

  // A killed pack: the last shard and its progress note never made it. --resume redoes only it.
  const std::vector<uint8_t> first = ReadBytes(dir.Sub("out/shard-00000.h5"));
  const std::vector<uint8_t> second = ReadBytes(dir.Sub("out/shard-00001.h5"));
  std::filesystem::remove(dir.Sub("out/shard-00001.h5"));
  std::filesystem::remove(dir.Sub("out/.pack/shard-00001.done"));
  absl::StatusOr<PackReport> untouched = pack_videos(options);
  EXPECT_FALSE(untouched.ok()) << "without --resume an existing pack is not touched";
  EXPECT_EQ(untouched.status().code(), absl::StatusCode::kAlreadyExists) << untouched.status();
  options.resume = true;
  absl::StatusOr<PackReport> resumed = pack_videos(options);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->resumed_shards, 1);
  EXPECT_EQ(resumed->packed, 3);
  EXPECT_EQ(resumed->skipped, report->skipped);
  EXPECT_EQ(ReadBytes(dir.Sub("out/shard-00000.h5")), first);
  EXPECT_EQ(ReadBytes(dir.Sub("out/shard-00001.h5")), second) << "same inputs, same bytes";

  options.fps = 12;
  absl::StatusOr<PackReport> mixed = pack_videos(options);
  EXPECT_FALSE(mixed.ok()) << "resuming with other settings would mix datasets";
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kFailedPrecondition) << mixed.status();
}

TEST(VideoWindow, FitsTheClipAndKeepsWholeTemporalPatches) {
  std::mt19937_64 rng(7);
  for (int64_t clip : {4, 9, 16, 17, 40, 100}) {
    for (int trial = 0; trial < 20; ++trial) {
      int64_t start = -1, stride = -1;
      const std::vector<int64_t> frames = choose_window(clip, {16, 1, 3}, 4, &rng, &start, &stride);
      ASSERT_FALSE(frames.empty());
      EXPECT_EQ(frames.size() % 4, 0u);
      EXPECT_EQ(frames.size(), static_cast<size_t>(std::min<int64_t>(16, clip / 4 * 4)));
      EXPECT_GE(stride, 1);
      EXPECT_LE(stride, 3);
      EXPECT_GE(frames.front(), 0);
      EXPECT_LT(frames.back(), clip);
    }
  }
  int64_t start = -1, stride = -1;
  EXPECT_EQ(choose_window(100, {16, 2, 5}, 4, nullptr, &start, &stride).size(), 16u);
  EXPECT_EQ(stride, 2) << "evaluation takes the smallest stride";
  EXPECT_EQ(start, (100 - 31) / 2) << "and a centred window";
  EXPECT_TRUE(choose_window(3, {16, 1, 1}, 4, nullptr, &start, &stride).empty());
}

}  // namespace
}  // namespace tetra::data
