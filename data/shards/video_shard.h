// The HDF5 video shard (docs/data-format.md): every frame is stored as its own PNG/JPEG (or raw
// RGB8) blob with a frame-offset table, so the loader reads and decodes one 16-frame window without
// touching the rest of the clip.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "data/media/image.h"
#include "data/shards/image_shard.h"

namespace tetra::data {

class ShardFileReader;
class ShardFileWriter;

struct VideoInfo {
  std::string source_id;
  ImageEncoding encoding = ImageEncoding::kJpeg;  // of every frame of the clip
  int64_t height = 0;  // stored frame size
  int64_t width = 0;
  double fps = 0;      // stored frame rate (after resampling)
  int64_t num_frames = 0;
  int64_t source_height = 0;  // the original file's frame size and rate
  int64_t source_width = 0;
  double source_fps = 0;
};

struct VideoRecord {
  VideoInfo info;  // num_frames is taken from frames.size()
  std::vector<std::vector<uint8_t>> frames;  // one encoded frame each
};

class VideoShardWriter {
 public:
  static absl::StatusOr<std::unique_ptr<VideoShardWriter>> create(const std::string& path);
  ~VideoShardWriter();
  // Frame bytes go to the file immediately; only the small per-sample columns stay in memory.
  absl::Status add(const VideoRecord& record);
  absl::Status finish();
  int64_t size() const { return static_cast<int64_t>(infos_.size()); }

 private:
  explicit VideoShardWriter(std::unique_ptr<ShardFileWriter> file);
  std::unique_ptr<ShardFileWriter> file_;
  std::vector<VideoInfo> infos_;
  std::vector<uint64_t> frame_offsets_{0};
  std::vector<uint64_t> first_frame_{0};
};

// One thread at a time per reader; separate readers may run concurrently.
class VideoShardReader {
 public:
  static absl::StatusOr<std::unique_ptr<VideoShardReader>> open(const std::string& path);
  ~VideoShardReader();
  int64_t size() const { return static_cast<int64_t>(infos_.size()); }
  const std::string& path() const;
  const ShardFileReader& file() const { return *file_; }
  const VideoInfo& info(int64_t index) const { return infos_[index]; }
  // The encoded bytes of frames `frames` (indices into the clip) of sample `index`.
  absl::StatusOr<std::vector<std::vector<uint8_t>>> read_frames(
      int64_t index, const std::vector<int64_t>& frames) const;
  // read_frames + decode; every frame must decode to the stored size.
  absl::StatusOr<std::vector<Image>> decode_frames(int64_t index,
                                                  const std::vector<int64_t>& frames) const;

 private:
  explicit VideoShardReader(std::unique_ptr<ShardFileReader> file);
  absl::Status load_index();
  std::unique_ptr<ShardFileReader> file_;
  std::vector<VideoInfo> infos_;
  std::vector<uint64_t> frame_offsets_;
  std::vector<uint64_t> first_frame_;
};

}  // namespace tetra::data
