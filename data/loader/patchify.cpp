#include "data/loader/patchify.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "data/util/half.h"

namespace tetra::data {
namespace {

// x / 127.5 - 1 in float, as trainer::image_to_frames computes it on a tensor: identical bits.
const std::array<float, 256>& PixelTable() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int v = 0; v < 256; ++v) t[v] = static_cast<float>(v) / 127.5f - 1.0f;
    return t;
  }();
  return table;
}

}  // namespace

TokenGrid FrameGrid(int64_t frames, int64_t height, int64_t width, const PatchSize& spec) {
  TokenGrid grid;
  grid.t = frames == 1 ? 1 : frames / spec.t;
  grid.h = height / spec.h;
  grid.w = width / spec.w;
  grid.frames = frames;
  grid.tokens = grid.t * grid.h * grid.w;
  return grid;
}

void PatchifyFrames(const uint8_t* pixels, int64_t frames, int64_t height, int64_t width,
                    const PatchSize& spec, float* features, int32_t* coords) {
  const TokenGrid grid = FrameGrid(frames, height, width, spec);
  const std::array<float, 256>& lut = PixelTable();
  const int64_t f = spec.features();
  const int64_t row_values = spec.w * 3;
  const int64_t frame_bytes = height * width * 3;
  for (int64_t gt = 0; gt < grid.t; ++gt) {
    for (int64_t gy = 0; gy < grid.h; ++gy) {
      for (int64_t gx = 0; gx < grid.w; ++gx) {
        float* out = features;
        for (int64_t pt = 0; pt < spec.t; ++pt) {
          const int64_t frame = gt * spec.t + pt;
          if (frame >= frames) {  // temporal zero-padding of an image
            std::fill(out, out + spec.h * row_values, 0.0f);
            out += spec.h * row_values;
            continue;
          }
          for (int64_t ph = 0; ph < spec.h; ++ph) {
            const uint8_t* src =
                pixels + frame * frame_bytes + ((gy * spec.h + ph) * width + gx * spec.w) * 3;
            for (int64_t k = 0; k < row_values; ++k) out[k] = lut[src[k]];
            out += row_values;
          }
        }
        features += f;
        coords[0] = static_cast<int32_t>(gt);
        coords[1] = static_cast<int32_t>(gy);
        coords[2] = static_cast<int32_t>(gx);
        coords[3] = 0;
        coords += 4;
      }
    }
  }
}

void PatchifyVoxels(const MeshVoxels& voxels, const PatchSize& spec, float* features,
                    int32_t* coords) {
  const int64_t f = spec.features();
  const int64_t n = voxels.count();
  const float* table = HalfTable();
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t* src = &voxels.features[i * kVoxelFeatureWidth];
    for (int64_t k = 0; k < kVoxelFeatureWidth; ++k) features[k] = table[src[k]] * 2.0f - 1.0f;
    std::fill(features + kVoxelFeatureWidth, features + f, 0.0f);
    features += f;
    coords[0] = 0;
    coords[1] = voxels.coords[i * 3];
    coords[2] = voxels.coords[i * 3 + 1];
    coords[3] = voxels.coords[i * 3 + 2];
    coords += 4;
  }
}

}  // namespace tetra::data
