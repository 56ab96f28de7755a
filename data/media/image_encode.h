// RGB8 -> PNG/JPEG bytes in memory (libpng/libjpeg-turbo), for video frames and rendered mesh views.
#pragma once
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "data/media/image.h"

namespace tetra::data {

absl::StatusOr<std::vector<uint8_t>> EncodeJpegBytes(const Image& image, int quality);
absl::StatusOr<std::vector<uint8_t>> EncodePngBytes(const Image& image);

}  // namespace tetra::data
