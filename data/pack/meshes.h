// `tetra-data pack meshes`: a folder tree of mesh files -> mesh shards (SPEC 1 3D tokens).
#pragma once
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "data/media/mesh_io.h"
#include "data/shards/mesh_shard.h"
#include "data/pack/pack.h"

namespace tetra::data {

struct PackMeshesOptions : PackFolderOptions {
  PackMeshesOptions() : PackFolderOptions(32) {}
  int64_t views = 16;        // SPEC 1 reference: 16 views
  int64_t resolution = 256;  // pixels per side, a multiple of 16
  float radius = 2.0f;       // camera distance from the origin
  float fov_degrees = 55.0f; // every point of [-0.5, 0.5]^3 stays in view at radius 2
};

// A mesh already in world space -> its record: options.views views rendered, voxelised, nearest-view
// features. Errors start with `source_id`. The embedded dataset feeds procedural meshes in here.
absl::StatusOr<MeshRecord> mesh_to_record(const TriangleMesh& mesh, const std::string& source_id,
                                        const PackMeshesOptions& options);

// One mesh file -> its record (load_mesh_file, then mesh_to_record). Load errors name the file, render
// errors `source_id` (the packer's skip line names the relative path either way).
absl::StatusOr<MeshRecord> mesh_file_to_record(const std::string& path, const std::string& source_id,
                                            const PackMeshesOptions& options);

absl::StatusOr<PackReport> pack_meshes(const PackMeshesOptions& options);

}  // namespace tetra::data
