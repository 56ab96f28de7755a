#include "data/media/voxelize.h"

#include <cmath>
#include <limits>

#include "data/util/half.h"

namespace tetra::data {
namespace {

constexpr int64_t kPatch = 16;

// World point of pixel (x, y) at camera depth z: inverse projection, then R^T (p_c - t).
Vec3 unproject(const Camera& cam, float x, float y, float z) {
  const Vec3 pc{(x - cam.cx) / cam.fx * z - cam.translation[0],
                (y - cam.cy) / cam.fy * z - cam.translation[1], z - cam.translation[2]};
  const auto& r = cam.rotation;
  return {r[0] * pc[0] + r[3] * pc[1] + r[6] * pc[2], r[1] * pc[0] + r[4] * pc[1] + r[7] * pc[2],
          r[2] * pc[0] + r[5] * pc[1] + r[8] * pc[2]};
}

std::vector<uint8_t> occupancy(const std::vector<Camera>& cameras,
                               const std::vector<RenderedView>& views) {
  std::vector<uint8_t> occupied(kVoxelGrid * kVoxelGrid * kVoxelGrid, 0);
  for (size_t v = 0; v < views.size(); ++v) {
    const int64_t r = views[v].resolution;
    for (int64_t y = 0; y < r; ++y) {
      for (int64_t x = 0; x < r; ++x) {
        const float z = views[v].depth[y * r + x];
        if (z <= 0) continue;
        const Vec3 p = unproject(cameras[v], static_cast<float>(x) + 0.5f,
                                 static_cast<float>(y) + 0.5f, z);
        int64_t index[3];
        bool inside = true;
        for (int a = 0; a < 3; ++a) {
          // Points on the +0.5 faces belong to the last voxel; anything else outside is noise.
          const float g = (p[a] + 0.5f) * static_cast<float>(kVoxelGrid);
          inside = inside && g > -1e-3f && g < static_cast<float>(kVoxelGrid) + 1e-3f;
          index[a] = std::clamp<int64_t>(static_cast<int64_t>(std::floor(g)), 0, kVoxelGrid - 1);
        }
        if (inside) occupied[(index[0] * kVoxelGrid + index[1]) * kVoxelGrid + index[2]] = 1;
      }
    }
  }
  return occupied;
}

// The 16x16 patch of `view` containing pixel (x, y), as fp16 in [0, 1], (h, w, c) order.
void copy_patch(const RenderedView& view, int64_t x, int64_t y, uint16_t* out) {
  const int64_t top = (y / kPatch) * kPatch, left = (x / kPatch) * kPatch;
  for (int64_t py = 0; py < kPatch; ++py) {
    const uint8_t* row = &view.rgb[((top + py) * view.resolution + left) * 3];
    for (int64_t k = 0; k < kPatch * 3; ++k) *out++ = float_to_half(row[k] / 255.0f);
  }
}

}  // namespace

MeshVoxels voxelize_views(const std::vector<Camera>& cameras,
                         const std::vector<RenderedView>& views) {
  const std::vector<uint8_t> occupied = occupancy(cameras, views);
  MeshVoxels voxels;
  for (int64_t i = 0; i < static_cast<int64_t>(occupied.size()); ++i) {
    if (occupied[i] == 0) continue;
    const int64_t vx = i / (kVoxelGrid * kVoxelGrid), vy = (i / kVoxelGrid) % kVoxelGrid,
                  vz = i % kVoxelGrid;
    const Vec3 centre{(static_cast<float>(vx) + 0.5f) / kVoxelGrid - 0.5f,
                      (static_cast<float>(vy) + 0.5f) / kVoxelGrid - 0.5f,
                      (static_cast<float>(vz) + 0.5f) / kVoxelGrid - 0.5f};
    size_t best = views.size();
    float best_depth = std::numeric_limits<float>::max();
    int64_t best_x = 0, best_y = 0;
    for (size_t v = 0; v < views.size(); ++v) {
      const Camera& cam = cameras[v];
      const Vec3 pc = to_camera(cam, centre);
      if (pc[2] <= 0 || pc[2] >= best_depth) continue;
      const float x = cam.fx * pc[0] / pc[2] + cam.cx, y = cam.fy * pc[1] / pc[2] + cam.cy;
      const int64_t r = views[v].resolution;
      if (x < 0 || y < 0 || x >= static_cast<float>(r) || y >= static_cast<float>(r)) continue;
      best = v;
      best_depth = pc[2];
      best_x = static_cast<int64_t>(x);
      best_y = static_cast<int64_t>(y);
    }
    if (best == views.size()) continue;  // seen by no view: cannot happen for an unprojected point
    voxels.coords.insert(voxels.coords.end(),
                         {static_cast<uint8_t>(vx), static_cast<uint8_t>(vy), static_cast<uint8_t>(vz)});
    const size_t offset = voxels.features.size();
    voxels.features.resize(offset + kVoxelFeatureWidth);
    copy_patch(views[best], best_x, best_y, &voxels.features[offset]);
  }
  return voxels;
}

}  // namespace tetra::data
