// pack_videos: each file is decoded with libav (parallel over files, one thread per file), resampled
// to the target rate, and its frames encoded one by one into the shard.
#include "data/pack/videos.h"

#include "absl/strings/str_cat.h"
#include "data/media/image_encode.h"
#include "data/pack/runner.h"
#include "data/media/video_decode.h"
#include "data/shards/video_shard.h"

namespace tetra::data {
namespace {

absl::StatusOr<std::vector<uint8_t>> encode_frame(const Image& frame,
                                                 const PackVideosOptions& options) {
  switch (options.frame_encoding) {
    case ImageEncoding::kJpeg:
      return encode_jpeg_bytes(frame, options.jpeg_quality);
    case ImageEncoding::kPng:
      return encode_png_bytes(frame);
    case ImageEncoding::kRawRgb8:
      return frame.rgb;
  }
  return absl::InvalidArgumentError("unknown frame encoding");
}

absl::StatusOr<VideoRecord> load_video_file(const PackFile& file, const PackVideosOptions& options) {
  VideoRecord record;
  VideoDecodeOptions decode;
  decode.fps = options.fps;
  decode.max_side = options.max_side;
  decode.max_frames = options.max_frames;
  const std::function<absl::Status(Image&&)> sink = [&](Image&& frame) -> absl::Status {
    absl::StatusOr<std::vector<uint8_t>> bytes = encode_frame(frame, options);
    if (!bytes.ok()) return bytes.status();
    record.frames.push_back(std::move(*bytes));
    return absl::OkStatus();
  };
  absl::StatusOr<DecodedClip> clip = decode_video_file(file.path, decode, sink);
  if (!clip.ok()) return clip.status();
  // SPEC 1: a clip is cut to multiples of 4 frames; fewer than 4 cannot make one token.
  if (clip->frames < 4) {
    return absl::InvalidArgumentError(absl::StrCat(file.relative, ": only ", clip->frames,
                                                   " frame(s) at ", clip->fps,
                                                   " fps; a clip needs at least 4"));
  }
  VideoInfo& info = record.info;
  info.source_id = file.relative;
  info.encoding = options.frame_encoding;
  info.height = clip->height;
  info.width = clip->width;
  info.fps = clip->fps;
  info.source_height = clip->source_height;
  info.source_width = clip->source_width;
  info.source_fps = clip->source_fps;
  return record;
}

std::string encoding_setting(const PackVideosOptions& options) {
  switch (options.frame_encoding) {
    case ImageEncoding::kJpeg:
      return absl::StrCat("jpeg", options.jpeg_quality);
    case ImageEncoding::kPng:
      return "png";
    case ImageEncoding::kRawRgb8:
      return "raw";
  }
  return "unknown";
}

}  // namespace

const std::vector<std::string>& video_extensions() {
  static const std::vector<std::string> extensions = {
      ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".ts", ".flv", ".ogv",
      ".wmv", ".3gp", ".gif"};
  return extensions;
}

absl::StatusOr<PackReport> pack_videos(const PackVideosOptions& options) {
  if (options.fps < 0 || options.max_side < 0 || options.max_frames < 0 ||
      options.jpeg_quality < 1 || options.jpeg_quality > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("pack videos: need fps >= 0, max_side >= 0, max_frames >= 0 and jpeg quality "
                     "in [1, 100]; got ", options.fps, ", ", options.max_side, ", ",
                     options.max_frames, ", ", options.jpeg_quality));
  }
  const PackJob job("videos", options, video_extensions(),
                    absl::StrCat("fps=", options.fps, " max_side=", options.max_side,
                                 " max_frames=", options.max_frames, " frames=", encoding_setting(options)));
  const std::function<absl::StatusOr<VideoRecord>(const PackFile&)> load =
      [&options](const PackFile& file) { return load_video_file(file, options); };
  return run_pack<VideoShardWriter, VideoRecord>(job, load);
}

}  // namespace tetra::data
