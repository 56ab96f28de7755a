// Fixtures for the tests/data suite: temporary folders, synthetic images, and PNG/JPEG encoders
// that use libpng/libjpeg directly, so the decoder is checked against the reference libraries
// rather than against itself.
#pragma once
#include <png.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/media/image.h"
#include "data/shards/image_shard.h"

namespace tetra::data::testing {

// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& relative) const { return path_ + "/" + relative; }

 private:
  std::string path_;
};

// Deterministic, non-constant RGB content; different `seed`s give different images.
Image PatternImage(int64_t height, int64_t width, uint32_t seed);

// How EncodePng lays out and decorates the file.
struct PngLayout {
  int color_type = PNG_COLOR_TYPE_RGB;
  int bit_depth = 8;
  std::vector<png_color> palette;       // PNG_COLOR_TYPE_PALETTE only
  std::vector<uint8_t> palette_alpha;   // a tRNS chunk for the palette, if not empty
  bool interlaced = false;              // Adam7
};

// Encodes rows already packed for the layout (16-bit samples big-endian and sub-byte samples
// packed MSB first, as PNG stores them).
std::vector<uint8_t> EncodePng(const std::vector<uint8_t>& samples, int height, int width,
                               const PngLayout& layout);
std::vector<uint8_t> EncodeRgbPng(const Image& image);
// gray: a single-channel JPEG of the image's red channel.
std::vector<uint8_t> EncodeJpeg(const Image& image, int quality, bool gray = false);

void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes);
std::vector<uint8_t> ReadBytes(const std::string& path);

ImageRecord RawRecord(const std::string& source_id, const Image& image);
ImageRecord PngRecord(const std::string& source_id, const Image& image);

// Writes `records` into one shard at `path`; fails the calling test on error.
void WriteShard(const std::string& path, const std::vector<ImageRecord>& records);

// FNV-1a 64, also computed by tests/data/read_shard.py.
uint64_t Fnv1a64(const std::vector<uint8_t>& bytes);

}  // namespace tetra::data::testing
