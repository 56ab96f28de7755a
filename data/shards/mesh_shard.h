// The HDF5 mesh (3D asset) shard (docs/data-format.md): per sample, the occupied voxels of the 64^3
// grid with their 768-wide fp16 nearest-view patch features (SPEC 1), plus the rendered views (RGB,
// depth) and cameras that produced them, kept for evaluation.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tetra::data {

class ShardFileReader;
class ShardFileWriter;

inline constexpr int64_t kVoxelGrid = 64;
inline constexpr int64_t kVoxelFeatureWidth = 768;  // one 16x16 RGB patch

// Where the rendered colours came from.
enum class MeshColour : uint8_t { kShaded = 0, kVertexColours = 1, kTexture = 2, kMaterial = 3 };
const char* mesh_colour_name(MeshColour colour);

struct MeshInfo {
  std::string source_id;
  int64_t num_vertices = 0;  // of the source mesh, after triangulation
  int64_t num_faces = 0;
  MeshColour colour = MeshColour::kShaded;
  int64_t num_voxels = 0;
  int64_t num_views = 0;
};

// V views of R x R pixels. Cameras: OpenCV convention (x right, y down, z forward), extrinsics map
// world to camera, intrinsics are in pixels.
struct MeshViews {
  int64_t count = 0;
  int64_t resolution = 0;
  std::vector<uint8_t> rgb;        // [V, R, R, 3]
  std::vector<uint16_t> depth;     // [V, R, R] fp16 camera-space z; 0 = background
  std::vector<float> extrinsics;   // [V, 4, 4] row-major
  std::vector<float> intrinsics;   // [V, 3, 3] row-major
};

struct MeshVoxels {
  std::vector<uint8_t> coords;     // [n, 3] (x, y, z) voxel indices in [0, 64)
  std::vector<uint16_t> features;  // [n, 768] fp16 in [0, 1], a 16x16 RGB patch in (h, w, c) order
  int64_t count() const { return static_cast<int64_t>(coords.size() / 3); }
};

struct MeshRecord {
  MeshInfo info;  // num_voxels / num_views are taken from voxels / views
  MeshVoxels voxels;
  MeshViews views;
};

class MeshShardWriter {
 public:
  static absl::StatusOr<std::unique_ptr<MeshShardWriter>> create(const std::string& path);
  ~MeshShardWriter();
  absl::Status add(const MeshRecord& record);  // payloads go to the file at once
  absl::Status finish();
  int64_t size() const { return static_cast<int64_t>(infos_.size()); }

 private:
  explicit MeshShardWriter(std::unique_ptr<ShardFileWriter> file);
  absl::Status define_view_tables(int64_t resolution);
  std::unique_ptr<ShardFileWriter> file_;
  std::vector<MeshInfo> infos_;
  std::vector<uint64_t> voxel_offsets_{0};
  std::vector<uint64_t> view_offsets_{0};
  int64_t resolution_ = 0;
};

class MeshShardReader {
 public:
  static absl::StatusOr<std::unique_ptr<MeshShardReader>> open(const std::string& path);
  ~MeshShardReader();
  int64_t size() const { return static_cast<int64_t>(infos_.size()); }
  const std::string& path() const;
  const ShardFileReader& file() const { return *file_; }
  const MeshInfo& info(int64_t index) const { return infos_[index]; }
  int64_t view_resolution() const { return resolution_; }
  absl::StatusOr<MeshVoxels> read_voxels(int64_t index) const;
  absl::StatusOr<MeshViews> read_views(int64_t index) const;

 private:
  explicit MeshShardReader(std::unique_ptr<ShardFileReader> file);
  absl::Status load_index();
  absl::Status check_index(const std::vector<uint8_t>& colours) const;
  std::unique_ptr<ShardFileReader> file_;
  std::vector<MeshInfo> infos_;
  std::vector<uint64_t> voxel_offsets_;
  std::vector<uint64_t> view_offsets_;
  int64_t resolution_ = 0;
};

}  // namespace tetra::data
