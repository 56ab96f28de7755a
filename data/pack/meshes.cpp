// pack_meshes: assimp import, V views rendered on the CPU, voxels from depth unprojection, nearest-view
// patch features; parallel over files.
#include "data/pack/meshes.h"

#include "absl/strings/str_cat.h"
#include "data/util/half.h"
#include "data/media/mesh_io.h"
#include "data/pack/runner.h"
#include "data/media/render.h"
#include "data/media/voxelize.h"

namespace tetra::data {
namespace {

void store_view(const Camera& cam, const RenderedView& view, MeshViews* out) {
  out->rgb.insert(out->rgb.end(), view.rgb.begin(), view.rgb.end());
  for (float z : view.depth) out->depth.push_back(float_to_half(z));
  const auto& r = cam.rotation;
  const auto& t = cam.translation;
  out->extrinsics.insert(out->extrinsics.end(), {r[0], r[1], r[2], t[0], r[3], r[4], r[5], t[1],
                                                 r[6], r[7], r[8], t[2], 0, 0, 0, 1});
  out->intrinsics.insert(out->intrinsics.end(),
                         {cam.fx, 0, cam.cx, 0, cam.fy, cam.cy, 0, 0, 1});
}

}  // namespace

absl::StatusOr<MeshRecord> mesh_to_record(const TriangleMesh& mesh, const std::string& source_id,
                                        const PackMeshesOptions& options) {
  const std::vector<Camera> cameras =
      sphere_cameras(options.views, options.radius, options.fov_degrees, options.resolution);
  std::vector<RenderedView> views;
  MeshRecord record;
  record.views.count = options.views;
  record.views.resolution = options.resolution;
  for (const Camera& cam : cameras) {
    views.push_back(render_view(mesh, cam, options.resolution));
    store_view(cam, views.back(), &record.views);
  }
  record.voxels = voxelize_views(cameras, views);
  if (record.voxels.count() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        source_id, ": no surface is visible from the cameras (degenerate or flat mesh?)"));
  }
  record.info.source_id = source_id;
  record.info.num_vertices = static_cast<int64_t>(mesh.positions.size());
  record.info.num_faces = static_cast<int64_t>(mesh.faces.size());
  record.info.colour = mesh.colour;
  return record;
}

absl::StatusOr<MeshRecord> mesh_file_to_record(const std::string& path, const std::string& source_id,
                                            const PackMeshesOptions& options) {
  absl::StatusOr<TriangleMesh> mesh = load_mesh_file(path);
  if (!mesh.ok()) return mesh.status();
  return mesh_to_record(*mesh, source_id, options);
}

absl::StatusOr<PackReport> pack_meshes(const PackMeshesOptions& options) {
  if (options.views < 1 || options.resolution < 16 || options.resolution % 16 != 0 ||
      !(options.radius > 0.9f) || !(options.fov_degrees > 0 && options.fov_degrees < 179)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pack meshes: need views >= 1, resolution a multiple of 16, radius > 0.9 (outside the "
        "unit cube) and 0 < fov < 179; got ", options.views, ", ", options.resolution, ", ",
        options.radius, ", ", options.fov_degrees));
  }
  const PackJob job("meshes", options, mesh_extensions(),
                    absl::StrCat("views=", options.views, " resolution=", options.resolution,
                                 " radius=", options.radius, " fov=", options.fov_degrees));
  const std::function<absl::StatusOr<MeshRecord>(const PackFile&)> load =
      [&options](const PackFile& file) { return mesh_file_to_record(file.path, file.relative, options); };
  return run_pack<MeshShardWriter, MeshRecord>(job, load);
}

}  // namespace tetra::data
