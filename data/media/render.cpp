#include "data/media/render.h"

#include <algorithm>
#include <cmath>

namespace tetra::data {
namespace {

Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

Vec3 normalised(const Vec3& v) {
  const float len = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  return {v[0] / len, v[1] / len, v[2] / len};
}

// A vertex after projection: pixel position, depth, and 1/z for perspective-correct blending.
struct Projected {
  float x, y, z, inv_z;
};

Vec3 sample_texture(const Image& texture, float u, float v) {
  const float fx = (u - std::floor(u)) * static_cast<float>(texture.width) - 0.5f;
  const float fy = (v - std::floor(v)) * static_cast<float>(texture.height) - 0.5f;
  const int64_t x0 = static_cast<int64_t>(std::floor(fx)), y0 = static_cast<int64_t>(std::floor(fy));
  const float ax = fx - static_cast<float>(x0), ay = fy - static_cast<float>(y0);
  auto texel = [&](int64_t x, int64_t y, int c) {
    x = ((x % texture.width) + texture.width) % texture.width;
    y = ((y % texture.height) + texture.height) % texture.height;
    return static_cast<float>(texture.rgb[(y * texture.width + x) * 3 + c]) / 255.0f;
  };
  Vec3 out;
  for (int c = 0; c < 3; ++c) {
    const float top = texel(x0, y0, c) * (1 - ax) + texel(x0 + 1, y0, c) * ax;
    const float bottom = texel(x0, y0 + 1, c) * (1 - ax) + texel(x0 + 1, y0 + 1, c) * ax;
    out[c] = top * (1 - ay) + bottom * ay;
  }
  return out;
}

class Rasterizer {
 public:
  Rasterizer(const TriangleMesh& mesh, const Camera& camera, int64_t resolution)
      : mesh_(mesh), camera_(camera), r_(resolution) {
    view_.resolution = resolution;
    view_.rgb.assign(static_cast<size_t>(r_ * r_ * 3), 0);
    view_.depth.assign(static_cast<size_t>(r_ * r_), 0.0f);
    projected_.reserve(mesh.positions.size());
    for (const Vec3& p : mesh.positions) {
      const Vec3 c = to_camera(camera, p);
      const float inv_z = c[2] > 1e-6f ? 1.0f / c[2] : 0.0f;
      projected_.push_back({camera.fx * c[0] * inv_z + camera.cx,
                            camera.fy * c[1] * inv_z + camera.cy, c[2], inv_z});
    }
  }

  RenderedView run() {
    for (size_t f = 0; f < mesh_.faces.size(); ++f) draw_triangle(f);
    return std::move(view_);
  }

 private:
  void draw_triangle(size_t f) {
    const auto& idx = mesh_.faces[f];
    const Projected& a = projected_[idx[0]];
    const Projected& b = projected_[idx[1]];
    const Projected& c = projected_[idx[2]];
    if (a.inv_z == 0 || b.inv_z == 0 || c.inv_z == 0) return;  // behind the camera
    const float area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    if (std::abs(area) < 1e-12f) return;
    const int64_t x0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(std::min({a.x, b.x, c.x}))));
    const int64_t x1 = std::min<int64_t>(r_ - 1, static_cast<int64_t>(std::ceil(std::max({a.x, b.x, c.x}))));
    const int64_t y0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(std::min({a.y, b.y, c.y}))));
    const int64_t y1 = std::min<int64_t>(r_ - 1, static_cast<int64_t>(std::ceil(std::max({a.y, b.y, c.y}))));
    for (int64_t y = y0; y <= y1; ++y) {
      const float py = static_cast<float>(y) + 0.5f;
      for (int64_t x = x0; x <= x1; ++x) {
        const float px = static_cast<float>(x) + 0.5f;
        // Barycentric weights from edge functions; both windings are drawn (no culling).
        const float w0 = ((b.x - px) * (c.y - py) - (b.y - py) * (c.x - px)) / area;
        const float w1 = ((c.x - px) * (a.y - py) - (c.y - py) * (a.x - px)) / area;
        const float w2 = 1.0f - w0 - w1;
        if (w0 < 0 || w1 < 0 || w2 < 0) continue;
        const float inv_z = w0 * a.inv_z + w1 * b.inv_z + w2 * c.inv_z;
        const float z = 1.0f / inv_z;
        float& depth = view_.depth[y * r_ + x];
        if (depth != 0 && depth <= z) continue;
        depth = z;
        shade(f, {w0 * a.inv_z * z, w1 * b.inv_z * z, w2 * c.inv_z * z}, &view_.rgb[(y * r_ + x) * 3]);
      }
    }
  }

  // `w`: perspective-correct barycentric weights.
  void shade(size_t f, const Vec3& w, uint8_t* out) const {
    const auto& idx = mesh_.faces[f];
    Vec3 albedo{0, 0, 0};
    if (mesh_.face_texture[f] >= 0) {
      float u = 0, v = 0;
      for (int k = 0; k < 3; ++k) {
        u += w[k] * mesh_.uvs[idx[k]][0];
        v += w[k] * mesh_.uvs[idx[k]][1];
      }
      albedo = sample_texture(mesh_.textures[mesh_.face_texture[f]], u, v);
    } else {
      for (int k = 0; k < 3; ++k) {
        for (int ch = 0; ch < 3; ++ch) albedo[ch] += w[k] * mesh_.colours[idx[k]][ch];
      }
    }
    float light = 1.0f;
    if (mesh_.lit) {
      Vec3 n{0, 0, 0}, p{0, 0, 0};
      for (int k = 0; k < 3; ++k) {
        for (int ch = 0; ch < 3; ++ch) {
          n[ch] += w[k] * mesh_.normals[idx[k]][ch];
          p[ch] += w[k] * mesh_.positions[idx[k]][ch];
        }
      }
      // Headlight: the view direction from the surface point to the camera centre.
      const Vec3 pc = to_camera(camera_, p);
      const Vec3 nc = normalised(to_camera({camera_.rotation, {0, 0, 0}}, n));
      const Vec3 view = normalised({-pc[0], -pc[1], -pc[2]});
      const float cosine = std::abs(nc[0] * view[0] + nc[1] * view[1] + nc[2] * view[2]);
      light = 0.25f + 0.75f * (std::isfinite(cosine) ? cosine : 1.0f);
    }
    for (int ch = 0; ch < 3; ++ch) {
      out[ch] = static_cast<uint8_t>(std::clamp(std::lround(albedo[ch] * light * 255.0f), 0L, 255L));
    }
  }

  const TriangleMesh& mesh_;
  const Camera& camera_;
  int64_t r_;
  RenderedView view_;
  std::vector<Projected> projected_;
};

}  // namespace

Vec3 to_camera(const Camera& camera, const Vec3& p) {
  const auto& r = camera.rotation;
  return {r[0] * p[0] + r[1] * p[1] + r[2] * p[2] + camera.translation[0],
          r[3] * p[0] + r[4] * p[1] + r[5] * p[2] + camera.translation[1],
          r[6] * p[0] + r[7] * p[1] + r[8] * p[2] + camera.translation[2]};
}

std::vector<Camera> sphere_cameras(int64_t count, float radius, float fov_degrees,
                                  int64_t resolution) {
  std::vector<Camera> cameras;
  const double golden = M_PI * (3.0 - std::sqrt(5.0));
  const float focal = static_cast<float>(0.5 * static_cast<double>(resolution) /
                                         std::tan(0.5 * fov_degrees * M_PI / 180.0));
  for (int64_t i = 0; i < count; ++i) {
    // Fibonacci lattice: heights evenly spaced in (-1, 1), azimuth advancing by the golden angle.
    const double h = 1.0 - (2.0 * static_cast<double>(i) + 1.0) / static_cast<double>(count);
    const double ring = std::sqrt(std::max(0.0, 1.0 - h * h));
    const double phi = golden * static_cast<double>(i);
    const Vec3 centre{static_cast<float>(radius * ring * std::cos(phi)),
                      static_cast<float>(radius * h),
                      static_cast<float>(radius * ring * std::sin(phi))};
    const Vec3 forward = normalised({-centre[0], -centre[1], -centre[2]});
    // World up is +y; a camera looking straight along it uses +z instead.
    const Vec3 up = std::abs(forward[1]) > 0.999f ? Vec3{0, 0, 1} : Vec3{0, 1, 0};
    const Vec3 right = normalised(cross(forward, up));
    const Vec3 down = cross(forward, right);
    Camera cam;
    cam.rotation = {right[0], right[1], right[2], down[0], down[1], down[2],
                    forward[0], forward[1], forward[2]};
    const Vec3 rc = to_camera({cam.rotation, {0, 0, 0}}, centre);
    cam.translation = {-rc[0], -rc[1], -rc[2]};
    cam.fx = cam.fy = focal;
    cam.cx = cam.cy = 0.5f * static_cast<float>(resolution);
    cameras.push_back(cam);
  }
  return cameras;
}

RenderedView render_view(const TriangleMesh& mesh, const Camera& camera, int64_t resolution) {
  return Rasterizer(mesh, camera, resolution).run();
}

}  // namespace tetra::data
