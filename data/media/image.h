// Decoded images as plain 8-bit RGB buffers. tetra_data is torch-free on purpose: it stands apart
// from the model stack, and the trainer turns these buffers into tensors.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tetra::data {

// Row-major height x width x 3 (RGB), 8 bits per channel.
struct Image {
  int64_t height = 0;
  int64_t width = 0;
  std::vector<uint8_t> rgb;  // height * width * 3 bytes
};

// Decodes PNG (8/16 bit, gray/RGB/palette, alpha dropped) or JPEG bytes, sniffed by signature.
// `name` only labels errors (a file path or "shard.h5#17").
absl::StatusOr<Image> decode_image(const uint8_t* bytes, size_t size, std::string_view name);
absl::StatusOr<Image> read_image_file(const std::string& path);
// Which decoder decode_image would pick for these bytes, from their signature alone.
enum class ImageFileFormat { kUnknown, kPng, kJpeg };
ImageFileFormat sniff_image_format(const uint8_t* bytes, size_t size);
absl::Status write_png(const Image& image, const std::string& path);  // for debugging/eval dumps

}  // namespace tetra::data
