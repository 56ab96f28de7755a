// A small CPU rasterizer for the mesh packer: cameras on a sphere around the object, RGB + depth
// per view. Why our own and not Mesa's off-screen renderer: docs/data-format.md ("Rendering").
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "data/media/mesh_io.h"

namespace tetra::data {

// OpenCV convention: x right, y down, z forward. world -> camera: p_c = R p_w + t.
struct Camera {
  std::array<float, 9> rotation{};  // row-major R
  Vec3 translation{};
  float fx = 0, fy = 0, cx = 0, cy = 0;  // pixels
};

// `count` cameras at `radius` from the origin, looking at it, spread evenly over the sphere by a
// Fibonacci lattice, with a square `fov_degrees` field of view on `resolution` pixels.
std::vector<Camera> sphere_cameras(int64_t count, float radius, float fov_degrees,
                                  int64_t resolution);

struct RenderedView {
  int64_t resolution = 0;
  std::vector<uint8_t> rgb;   // [R, R, 3], black background
  std::vector<float> depth;   // [R, R] camera-space z, 0 for background
};

// Z-buffered triangles with perspective-correct colours/UVs (bilinear, repeating textures). Lit
// meshes get a headlight: albedo * (0.25 + 0.75 |n . v|).
RenderedView render_view(const TriangleMesh& mesh, const Camera& camera, int64_t resolution);

// Camera-space point of a world point.
Vec3 to_camera(const Camera& camera, const Vec3& p);

}  // namespace tetra::data
