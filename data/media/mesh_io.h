// Mesh files (OBJ, PLY, OFF, glTF/GLB, 3DS, ... whatever assimp imports) -> one triangle soup in
// world space, normalised into [-0.5, 0.5]^3, with the appearance the file carries.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "data/media/image.h"
#include "data/shards/mesh_shard.h"

namespace tetra::data {

using Vec3 = std::array<float, 3>;

struct TriangleMesh {
  std::vector<Vec3> positions;
  std::vector<Vec3> normals;            // per vertex, unit length
  std::vector<Vec3> colours;            // per vertex albedo in [0, 1]
  std::vector<std::array<float, 2>> uvs;  // per vertex; empty when no face is textured
  std::vector<std::array<uint32_t, 3>> faces;
  std::vector<int32_t> face_texture;    // per face: index into textures, -1 for none
  std::vector<Image> textures;
  MeshColour colour = MeshColour::kShaded;  // which appearance source dominates
  bool lit = true;  // shade with a headlight (geometry-only and material colours); textures and
                    // vertex colours are baked appearance and are shown as they are
};

// Imports `path` with assimp (triangulated, node transforms applied, smooth normals generated) and
// scales it uniformly so its bounding box is centred and its longest side spans [-0.5, 0.5].
// Errors name the file: unreadable, no triangles, degenerate (zero-size) geometry.
absl::StatusOr<TriangleMesh> load_mesh_file(const std::string& path);

// The file extensions the mesh packer looks for (lower-case, with the dot).
const std::vector<std::string>& mesh_extensions();

}  // namespace tetra::data
