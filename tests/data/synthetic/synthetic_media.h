// Synthetic media for fast unit tests (tests/data): video files encoded with the real libav
// encoders/muxers (so the packer's decode path is exercised), and small mesh files.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "data/media/image.h"

namespace tetra::data {

struct SyntheticVideo {
  int64_t frames = 24;
  int64_t height = 64;
  int64_t width = 96;
  int fps = 24;
  std::string codec = "mpeg4";       // any libavcodec encoder name: mpeg4, libx264, mjpeg, ...
  std::string pixel_format = "yuv420p";  // yuv444p for H.264 4:4:4
};

// Frame k is a flat grey of level frame_level(k) with a small moving bright square, so a decoded
// frame tells which source frame it came from.
int frame_level(int64_t k);
Image synthetic_frame(int64_t k, int64_t height, int64_t width);

// Encodes the frames into `path`; the container follows the extension (.mp4, .avi, .mkv, ...).
absl::Status write_synthetic_video(const std::string& path, const SyntheticVideo& video);

// Axis-aligned box meshes in four formats. Each face of the box is two triangles.
enum class BoxFile {
  kObj,          // geometry only (fixed shading)
  kPlyColoured,  // per-vertex colour `rgb`
  kOff,          // geometry only
  kGltfTextured, // every face textured with a 4x4 PNG of colour `rgb`, embedded as a data URI
};
absl::Status write_box_mesh(const std::string& path, BoxFile format, float half_x, float half_y,
                          float half_z, const uint8_t rgb[3]);

}  // namespace tetra::data
