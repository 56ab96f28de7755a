// The embedded dataset's meshes: one small solid near the origin, built as a triangle mesh in world
// units and handed to the mesh packer's mesh_to_record (the same renderer, voxeliser and nearest-view
// features as `tetra-data pack meshes`). Objects are small on purpose: a voxel is 1/64 of the unit
// cube and every occupied voxel is a token, so a 5-13 voxel object gives roughly 100-400 tokens
// that a CPU smoke run can afford (a unit-sized one would give ~20k). The cameras are pulled in
// (narrow field of view) so the object still fills the views.
#include <array>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "data/embedded/scenes.h"
#include "data/pack/meshes.h"
#include "data/util/rng_util.h"

namespace tetra::data::embedded {
namespace {

constexpr double kVoxel = 1.0 / static_cast<double>(kVoxelGrid);  // world units
constexpr float kCameraRadius = 2.0f;
// Every vertex lies within kObjectBound of the origin (checked; the largest objects reach about
// 0.15); a sphere of that radius at the camera distance subtends 2 * asin(0.19 / 2) = 10.9 degrees,
// so 12 degrees keeps it in every view, and the object spans about half of it.
constexpr double kObjectBound = 0.19;
constexpr float kFovDegrees = 12.0f;

Vec3 to_vec(double x, double y, double z) {
  return {static_cast<float>(x), static_cast<float>(y), static_cast<float>(z)};
}

// Appends a flat-shaded polygon (3 or 4 corners, any winding: the renderer does not cull) with its
// own vertices, so the headlight shading sees a sharp edge between faces.
void add_face(TriangleMesh& mesh, const std::vector<Vec3>& corners, const Vec3& albedo) {
  const Vec3& a = corners[0];
  const Vec3& b = corners[1];
  const Vec3& c = corners[2];
  const Vec3 u{b[0] - a[0], b[1] - a[1], b[2] - a[2]}, v{c[0] - a[0], c[1] - a[1], c[2] - a[2]};
  Vec3 n{u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
  const float len = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
  for (float& x : n) x /= len;
  const uint32_t first = static_cast<uint32_t>(mesh.positions.size());
  for (const Vec3& p : corners) {
    mesh.positions.push_back(p);
    mesh.normals.push_back(n);
    mesh.colours.push_back(albedo);
  }
  for (uint32_t k = 1; k + 1 < corners.size(); ++k) {
    mesh.faces.push_back({first, first + k, first + k + 1});
    mesh.face_texture.push_back(-1);
  }
}

// An axis-aligned box centred at `c` with half extents `h`.
void add_box(TriangleMesh& mesh, const Vec3& c, const Vec3& h, const Vec3& albedo) {
  auto corner = [&](int i) {
    return Vec3{c[0] + (i & 1 ? h[0] : -h[0]), c[1] + (i & 2 ? h[1] : -h[1]),
                c[2] + (i & 4 ? h[2] : -h[2])};
  };
  // Corner index bits: x = 1, y = 2, z = 4.
  static constexpr int kFaces[6][4] = {{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4},
                                       {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}};
  for (const auto& f : kFaces) {
    add_face(mesh, {corner(f[0]), corner(f[1]), corner(f[2]), corner(f[3])}, albedo);
  }
}

// A square pyramid on the plane y = c.y - height/2 (world up is +y, as the cameras see it).
void add_pyramid(TriangleMesh& mesh, const Vec3& c, float half_base, float height,
                const Vec3& albedo) {
  const float y0 = c[1] - 0.5f * height;
  const Vec3 apex{c[0], y0 + height, c[2]};
  Vec3 base[4];
  for (int i = 0; i < 4; ++i) {
    base[i] = {c[0] + (i == 1 || i == 2 ? half_base : -half_base), y0,
               c[2] + (i >= 2 ? half_base : -half_base)};
  }
  add_face(mesh, {base[0], base[1], base[2], base[3]}, albedo);
  for (int i = 0; i < 4; ++i) add_face(mesh, {base[i], base[(i + 1) % 4], apex}, albedo);
}

// A UV sphere with smooth normals.
void add_sphere(TriangleMesh& mesh, const Vec3& c, float radius, const Vec3& albedo) {
  constexpr int kRings = 10, kSegments = 16;
  const uint32_t first = static_cast<uint32_t>(mesh.positions.size());
  for (int r = 0; r <= kRings; ++r) {
    const double theta = M_PI * r / kRings;
    for (int s = 0; s <= kSegments; ++s) {
      const double phi = 2.0 * M_PI * s / kSegments;
      const Vec3 n =
          to_vec(std::sin(theta) * std::cos(phi), std::cos(theta), std::sin(theta) * std::sin(phi));
      mesh.positions.push_back({c[0] + radius * n[0], c[1] + radius * n[1], c[2] + radius * n[2]});
      mesh.normals.push_back(n);
      mesh.colours.push_back(albedo);
    }
  }
  for (int r = 0; r < kRings; ++r) {
    for (int s = 0; s < kSegments; ++s) {
      const uint32_t a = first + r * (kSegments + 1) + s, b = a + kSegments + 1;
      mesh.faces.push_back({a, b, a + 1});
      mesh.faces.push_back({a + 1, b, b + 1});
      mesh.face_texture.insert(mesh.face_texture.end(), {-1, -1});
    }
  }
}

// How a caption names the object: "a <adjective> <colour> <noun>", e.g. "a tall red box".
struct ShapeWords {
  const char* adjective;  // "" for none
  const char* noun;
};

// Adds the object; sizes are in voxels.
ShapeWords add_object(TriangleMesh& mesh, std::mt19937_64& rng, const Vec3& albedo) {
  // A fraction of a voxel off-centre in each axis: faces then never sit exactly on voxel boundaries
  // the same way twice, and the coordinates vary a little between samples.
  const Vec3 c = to_vec(uniform(rng, -1.5, 1.5) * kVoxel, uniform(rng, -1.5, 1.5) * kVoxel,
                       uniform(rng, -1.5, 1.5) * kVoxel);
  auto half = [&](double lo, double hi) {
    return static_cast<float>(0.5 * uniform(rng, lo, hi) * kVoxel);
  };
  switch (uniform_below(rng, 6)) {
    case 0: {
      const float h = half(5, 7.5);
      add_box(mesh, c, {h, h, h}, albedo);
      return {"", "cube"};
    }
    case 1:
      add_box(mesh, c, {half(3.5, 5), half(9.5, 13), half(3.5, 5)}, albedo);
      return {"tall", "box"};
    case 2:
      add_box(mesh, c, {half(7, 10), half(2.5, 3.5), half(7, 10)}, albedo);
      return {"flat", "box"};
    case 3: {
      const float along = half(9.5, 13), side_a = half(3.5, 5), side_b = half(3.5, 5);
      const bool along_x = uniform_below(rng, 2) == 0;
      add_box(mesh, c, along_x ? Vec3{along, side_a, side_b} : Vec3{side_a, side_b, along}, albedo);
      return {"long", "box"};
    }
    case 4:
      add_sphere(mesh, c, half(7, 9.5), albedo);
      return {"", "sphere"};
    default: {
      const float half_base = half(6, 8.5);
      add_pyramid(mesh, c, half_base, static_cast<float>(uniform(rng, 6.5, 9) * kVoxel), albedo);
      return {"", "pyramid"};
    }
  }
}

}  // namespace

absl::StatusOr<Captioned<MeshRecord>> make_mesh(const EmbeddedDatasetOptions& options, bool heldout,
                                               int64_t index) {
  std::mt19937_64 rng = sample_rng(options, Modality::k3d, heldout, index);
  const int colour = static_cast<int>(uniform_below(rng, kBlack));  // any colour but black
  Vec3 albedo;
  for (int c = 0; c < 3; ++c) {
    albedo[c] = static_cast<float>(
        std::clamp(kPalette[colour].rgb[c] + uniform(rng, -12, 12), 0.0, 255.0) / 255.0);
  }
  TriangleMesh mesh;
  mesh.colour = MeshColour::kMaterial;
  mesh.lit = true;  // the headlight gives the faces different shades, as a real render would
  const ShapeWords shape = add_object(mesh, rng, albedo);
  const std::string id = scene_source_id(Modality::k3d, heldout, index);
  for (const Vec3& p : mesh.positions) {
    if (std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]) > kObjectBound) {
      return absl::InternalError(absl::StrCat(id, ": a ", shape.noun, " vertex lies outside the ",
                                              kObjectBound, " bound the cameras frame"));
    }
  }
  PackMeshesOptions render;
  render.views = options.mesh_views;
  render.resolution = options.mesh_resolution;
  render.radius = kCameraRadius;
  render.fov_degrees = kFovDegrees;
  absl::StatusOr<MeshRecord> record = mesh_to_record(mesh, id, render);
  if (!record.ok()) return record.status();
  const std::string caption = with_article(absl::StrCat(shape.adjective, *shape.adjective ? " " : "",
                                                       kPalette[colour].name, " ", shape.noun));
  return Captioned<MeshRecord>{std::move(*record), std::move(caption)};
}

}  // namespace tetra::data::embedded
