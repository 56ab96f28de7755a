// Video files -> RGB8 frames through libavformat/libavcodec (any container/codec they decode,
// H.264 4:4:4 included), resampled to a target frame rate and converted/scaled by libswscale.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "data/media/image.h"

namespace tetra::data {

struct VideoDecodeOptions {
  double fps = 0;         // output frame rate; 0 keeps the source rate
  int64_t max_side = 0;   // scale frames down so the longer side is at most this; 0 keeps the size
  int64_t max_frames = 0; // stop after this many output frames; 0 = the whole clip
};

struct DecodedClip {
  int64_t source_height = 0;
  int64_t source_width = 0;
  double source_fps = 0;
  int64_t height = 0;  // output frame size
  int64_t width = 0;
  double fps = 0;      // output rate
  int64_t frames = 0;  // output frames handed to the sink
};

// Calls `sink` once per output frame, in order. Fails (naming the file) when the file cannot be
// opened, has no video stream, cannot be decoded, or ends much earlier than its header says
// (truncated); a sink error stops decoding and is returned.
absl::StatusOr<DecodedClip> decode_video_file(const std::string& path,
                                            const VideoDecodeOptions& options,
                                            const std::function<absl::Status(Image&&)>& sink);

}  // namespace tetra::data
