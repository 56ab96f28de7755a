// `tetra-data pack videos`: a folder tree of video files -> video shards of per-frame JPEG/PNG.
#pragma once
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "data/pack/pack.h"
#include "data/shards/image_shard.h"

namespace tetra::data {

struct PackVideosOptions : PackFolderOptions {
  PackVideosOptions() : PackFolderOptions(64) {}
  double fps = 0;             // target frame rate; 0 keeps each clip's own rate
  int64_t max_side = 0;       // downscale frames so the longer side fits; 0 keeps the size
  int64_t max_frames = 0;     // keep at most this many frames per clip; 0 keeps all
  ImageEncoding frame_encoding = ImageEncoding::kJpeg;
  int jpeg_quality = 95;
};

// The file extensions the packer looks for (lower-case, with the dot).
const std::vector<std::string>& video_extensions();

absl::StatusOr<PackReport> pack_videos(const PackVideosOptions& options);

}  // namespace tetra::data
