// The patch extent per axis, shared by data's torch-free patchify and model's tokens (SPEC
// section 1). A token carries t*h*w*c values flattened in (t, h, w, c) order; images are zero-padded
// to t frames, and a 3d voxel's features fill the frame-0 slot (h * w * c of them).
#pragma once
#include <cstdint>

namespace tetra::common {

struct PatchSize {
  int64_t t = 4;
  int64_t h = 16;
  int64_t w = 16;
  int64_t c = 3;
  int64_t features() const { return t * h * w * c; }
};

}  // namespace tetra::common
