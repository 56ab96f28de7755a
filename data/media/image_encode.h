// RGB8 -> PNG/JPEG bytes in memory (libpng/libjpeg-turbo), for video frames and rendered mesh views.
#pragma once
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "data/media/image.h"

namespace tetra::data {

absl::StatusOr<std::vector<uint8_t>> encode_jpeg_bytes(const Image& image, int quality);
absl::StatusOr<std::vector<uint8_t>> encode_png_bytes(const Image& image);

}  // namespace tetra::data
