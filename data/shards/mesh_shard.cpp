#include "data/shards/mesh_shard.h"

#include "absl/strings/str_cat.h"
#include "data/shards/h5_shard_file.h"

namespace tetra::data {
namespace {

constexpr char kGroup[] = "meshes";
constexpr char kVoxelOffsets[] = "meshes/voxel_offsets";
constexpr char kCoords[] = "meshes/coords";
constexpr char kFeatures[] = "meshes/features";
constexpr char kViewOffsets[] = "meshes/view_offsets";
constexpr char kViewRgb[] = "meshes/view_rgb";
constexpr char kViewDepth[] = "meshes/view_depth";
constexpr char kExtrinsics[] = "meshes/view_extrinsics";
constexpr char kIntrinsics[] = "meshes/view_intrinsics";
constexpr char kNumVertices[] = "meshes/num_vertices";
constexpr char kNumFaces[] = "meshes/num_faces";
constexpr char kColour[] = "meshes/colour";
constexpr char kSourceId[] = "meshes/source_id";
constexpr char kGridAttr[] = "grid_size";
constexpr char kWidthAttr[] = "feature_width";
constexpr char kResolutionAttr[] = "view_resolution";

}  // namespace

const char* mesh_colour_name(MeshColour colour) {
  switch (colour) {
    case MeshColour::kShaded:
      return "fixed-shading";
    case MeshColour::kVertexColours:
      return "vertex-colours";
    case MeshColour::kTexture:
      return "texture";
    case MeshColour::kMaterial:
      return "material-colour";
  }
  return "unknown";
}

MeshShardWriter::MeshShardWriter(std::unique_ptr<ShardFileWriter> file) : file_(std::move(file)) {}
MeshShardWriter::~MeshShardWriter() = default;
MeshShardReader::MeshShardReader(std::unique_ptr<ShardFileReader> file) : file_(std::move(file)) {}
MeshShardReader::~MeshShardReader() = default;
const std::string& MeshShardReader::path() const { return file_->path(); }

absl::StatusOr<std::unique_ptr<MeshShardWriter>> MeshShardWriter::create(const std::string& path) {
  absl::StatusOr<std::unique_ptr<ShardFileWriter>> file =
      ShardFileWriter::create(path, Modality::k3d);
  if (!file.ok()) return file.status();
  ShardFileWriter& f = **file;
  H5Type half = make_half_type();
  absl::Status s = f.define_table(kCoords, H5T_STD_U8LE, {3}, 4096, 0);
  if (s.ok()) s = f.define_table(kFeatures, half.get(), {kVoxelFeatureWidth}, 256, 0);
  if (!s.ok()) return s;
  return std::unique_ptr<MeshShardWriter>(new MeshShardWriter(std::move(*file)));
}

// Views are kept for evaluation, off the training hot path: one deflated chunk per view.
absl::Status MeshShardWriter::define_view_tables(int64_t resolution) {
  const hsize_t r = static_cast<hsize_t>(resolution);
  H5Type half = make_half_type();
  absl::Status s = file_->define_table(kViewRgb, H5T_STD_U8LE, {r, r, 3}, 1, 1);
  if (s.ok()) s = file_->define_table(kViewDepth, half.get(), {r, r}, 1, 1);
  if (s.ok()) s = file_->define_table(kExtrinsics, H5T_IEEE_F32LE, {4, 4}, 64, 0);
  if (s.ok()) s = file_->define_table(kIntrinsics, H5T_IEEE_F32LE, {3, 3}, 64, 0);
  resolution_ = resolution;
  return s;
}

absl::Status MeshShardWriter::add(const MeshRecord& record) {
  const std::string where =
      absl::StrCat("shard '", file_->path(), "': mesh '", record.info.source_id, "'");
  const MeshVoxels& voxels = record.voxels;
  const MeshViews& views = record.views;
  const int64_t n = voxels.count();
  const size_t pixels = static_cast<size_t>(views.count * views.resolution * views.resolution);
  if (n == 0 || voxels.features.size() != static_cast<size_t>(n * kVoxelFeatureWidth)) {
    return absl::InvalidArgumentError(absl::StrCat(where, " has ", n, " voxels and ",
                                                   voxels.features.size(), " feature values"));
  }
  if (views.count <= 0 || views.rgb.size() != pixels * 3 || views.depth.size() != pixels ||
      views.extrinsics.size() != static_cast<size_t>(views.count * 16) ||
      views.intrinsics.size() != static_cast<size_t>(views.count * 9)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": view arrays do not match ",
                                                   views.count, " views of ", views.resolution, "^2"));
  }
  if (resolution_ == 0) {
    if (absl::Status s = define_view_tables(views.resolution); !s.ok()) return s;
  } else if (views.resolution != resolution_) {
    return absl::InvalidArgumentError(absl::StrCat(where, " has views of ", views.resolution,
                                                   "^2 but this shard holds ", resolution_, "^2"));
  }
  H5Type half = make_half_type();
  const hsize_t v = static_cast<hsize_t>(views.count);
  absl::Status s = file_->append(kCoords, H5T_NATIVE_UINT8, voxels.coords.data(), n);
  if (s.ok()) s = file_->append(kFeatures, half.get(), voxels.features.data(), n);
  if (s.ok()) s = file_->append(kViewRgb, H5T_NATIVE_UINT8, views.rgb.data(), v);
  if (s.ok()) s = file_->append(kViewDepth, half.get(), views.depth.data(), v);
  if (s.ok()) s = file_->append(kExtrinsics, H5T_NATIVE_FLOAT, views.extrinsics.data(), v);
  if (s.ok()) s = file_->append(kIntrinsics, H5T_NATIVE_FLOAT, views.intrinsics.data(), v);
  if (!s.ok()) return s;
  voxel_offsets_.push_back(voxel_offsets_.back() + static_cast<uint64_t>(n));
  view_offsets_.push_back(view_offsets_.back() + v);
  infos_.push_back(record.info);
  infos_.back().num_voxels = n;
  infos_.back().num_views = views.count;
  return absl::OkStatus();
}

absl::Status MeshShardWriter::finish() {
  if (infos_.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("shard '", file_->path(), "': no samples added; a shard holds at least one"));
  }
  const hsize_t n = infos_.size();
  std::vector<int64_t> vertices, faces;
  std::vector<uint8_t> colours;
  std::vector<std::string> ids;
  for (const MeshInfo& m : infos_) {
    vertices.push_back(m.num_vertices);
    faces.push_back(m.num_faces);
    colours.push_back(static_cast<uint8_t>(m.colour));
    ids.push_back(m.source_id);
  }
  ShardFileWriter& f = *file_;
  absl::Status s = f.write_column(kVoxelOffsets, H5T_STD_U64LE, H5T_NATIVE_UINT64,
                                 voxel_offsets_.data(), n + 1);
  if (s.ok()) {
    s = f.write_column(kViewOffsets, H5T_STD_U64LE, H5T_NATIVE_UINT64, view_offsets_.data(), n + 1);
  }
  if (s.ok()) s = f.write_column(kNumVertices, H5T_STD_I64LE, H5T_NATIVE_INT64, vertices.data(), n);
  if (s.ok()) s = f.write_column(kNumFaces, H5T_STD_I64LE, H5T_NATIVE_INT64, faces.data(), n);
  if (s.ok()) s = f.write_column(kColour, H5T_STD_U8LE, H5T_NATIVE_UINT8, colours.data(), n);
  if (s.ok()) s = f.write_strings(kSourceId, ids);
  if (s.ok()) s = f.write_int_attribute(kGroup, kGridAttr, kVoxelGrid);
  if (s.ok()) s = f.write_int_attribute(kGroup, kWidthAttr, kVoxelFeatureWidth);
  if (s.ok()) s = f.write_int_attribute(kGroup, kResolutionAttr, resolution_);
  if (s.ok()) s = f.finish(static_cast<int64_t>(n));
  return s;
}

absl::StatusOr<std::unique_ptr<MeshShardReader>> MeshShardReader::open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<ShardFileReader>> file =
      ShardFileReader::open(path, Modality::k3d);
  if (!file.ok()) return file.status();
  std::unique_ptr<MeshShardReader> reader(new MeshShardReader(std::move(*file)));
  if (absl::Status s = reader->load_index(); !s.ok()) return s;
  return reader;
}

absl::Status MeshShardReader::load_index() {
  const ShardFileReader& f = *file_;
  const hsize_t n = static_cast<hsize_t>(f.num_samples());
  auto voxel_offsets = f.column<uint64_t>(kVoxelOffsets, H5T_NATIVE_UINT64, n + 1);
  auto view_offsets = f.column<uint64_t>(kViewOffsets, H5T_NATIVE_UINT64, n + 1);
  auto vertices = f.column<int64_t>(kNumVertices, H5T_NATIVE_INT64, n);
  auto faces = f.column<int64_t>(kNumFaces, H5T_NATIVE_INT64, n);
  auto colours = f.column<uint8_t>(kColour, H5T_NATIVE_UINT8, n);
  auto ids = f.strings(kSourceId, n);
  auto grid = f.int_attribute(kGroup, kGridAttr);
  auto width = f.int_attribute(kGroup, kWidthAttr);
  auto resolution = f.int_attribute(kGroup, kResolutionAttr);
  for (const absl::Status& s : {voxel_offsets.status(), view_offsets.status(), vertices.status(),
                                faces.status(), colours.status(), ids.status(), grid.status(),
                                width.status(), resolution.status()}) {
    if (!s.ok()) return s;
  }
  if (*grid != kVoxelGrid || *width != kVoxelFeatureWidth || *resolution <= 0) {
    return f.corrupt(absl::StrCat("grid ", *grid, ", feature width ", *width, ", view resolution ",
                                  *resolution, "; this build reads grid 64 and width 768"));
  }
  voxel_offsets_ = std::move(*voxel_offsets);
  view_offsets_ = std::move(*view_offsets);
  resolution_ = *resolution;
  for (hsize_t i = 0; i < n; ++i) {
    MeshInfo info;
    info.source_id = (*ids)[i];
    info.num_vertices = (*vertices)[i];
    info.num_faces = (*faces)[i];
    info.colour = static_cast<MeshColour>((*colours)[i]);
    info.num_voxels = static_cast<int64_t>(voxel_offsets_[i + 1] - voxel_offsets_[i]);
    info.num_views = static_cast<int64_t>(view_offsets_[i + 1] - view_offsets_[i]);
    infos_.push_back(std::move(info));
  }
  return check_index(*colours);
}

// Offsets must tile the tables exactly, so later reads stay in bounds.
absl::Status MeshShardReader::check_index(const std::vector<uint8_t>& colours) const {
  const ShardFileReader& f = *file_;
  absl::StatusOr<std::vector<hsize_t>> coords = f.shape(kCoords);
  absl::StatusOr<std::vector<hsize_t>> features = f.shape(kFeatures);
  absl::StatusOr<std::vector<hsize_t>> rgb = f.shape(kViewRgb);
  for (const absl::Status& s : {coords.status(), features.status(), rgb.status()}) {
    if (!s.ok()) return s;
  }
  if (voxel_offsets_.front() != 0 || voxel_offsets_.back() != (*coords)[0] ||
      (*features)[0] != (*coords)[0] || view_offsets_.front() != 0 ||
      view_offsets_.back() != (*rgb)[0]) {
    return f.corrupt("voxel/view offsets do not match the coords/features/view tables");
  }
  for (size_t i = 0; i < infos_.size(); ++i) {
    if (infos_[i].num_voxels <= 0 || infos_[i].num_views <= 0 || colours[i] > 3 ||
        voxel_offsets_[i + 1] < voxel_offsets_[i] || view_offsets_[i + 1] < view_offsets_[i]) {
      return f.corrupt(absl::StrCat("sample ", i, " has no voxels/views or an unknown colour"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<MeshVoxels> MeshShardReader::read_voxels(int64_t index) const {
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(
        absl::StrCat("shard ", path(), ": sample ", index, " is outside [0, ", size(), ")"));
  }
  const hsize_t first = voxel_offsets_[index];
  const hsize_t n = voxel_offsets_[index + 1] - first;
  MeshVoxels voxels;
  voxels.coords.resize(n * 3);
  voxels.features.resize(n * kVoxelFeatureWidth);
  H5Type half = make_half_type();
  absl::Status s = file_->read_rows(kCoords, H5T_NATIVE_UINT8, first, n, voxels.coords.data());
  if (s.ok()) s = file_->read_rows(kFeatures, half.get(), first, n, voxels.features.data());
  if (!s.ok()) return s;
  for (uint8_t c : voxels.coords) {
    if (c >= kVoxelGrid) {
      return file_->corrupt(absl::StrCat("sample ", index, " has a voxel coordinate ", int{c},
                                         " outside the 64^3 grid"));
    }
  }
  return voxels;
}

absl::StatusOr<MeshViews> MeshShardReader::read_views(int64_t index) const {
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(
        absl::StrCat("shard ", path(), ": sample ", index, " is outside [0, ", size(), ")"));
  }
  const hsize_t first = view_offsets_[index];
  const hsize_t v = view_offsets_[index + 1] - first;
  const size_t pixels = static_cast<size_t>(v * resolution_ * resolution_);
  MeshViews views;
  views.count = static_cast<int64_t>(v);
  views.resolution = resolution_;
  views.rgb.resize(pixels * 3);
  views.depth.resize(pixels);
  views.extrinsics.resize(v * 16);
  views.intrinsics.resize(v * 9);
  H5Type half = make_half_type();
  absl::Status s = file_->read_rows(kViewRgb, H5T_NATIVE_UINT8, first, v, views.rgb.data());
  if (s.ok()) s = file_->read_rows(kViewDepth, half.get(), first, v, views.depth.data());
  if (s.ok()) s = file_->read_rows(kExtrinsics, H5T_NATIVE_FLOAT, first, v, views.extrinsics.data());
  if (s.ok()) s = file_->read_rows(kIntrinsics, H5T_NATIVE_FLOAT, first, v, views.intrinsics.data());
  if (!s.ok()) return s;
  return views;
}

}  // namespace tetra::data
