// Mesh import, the CPU renderer, voxelisation with nearest-view features and `pack meshes`, on
// synthetic boxes in OBJ/PLY/OFF/glTF (the real bunny: tests/integration/pack_media.sh).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "data/data_test_support.h"
#include "data/util/half.h"
#include "data/loader/loader.h"
#include "data/media/mesh_io.h"
#include "data/pack/meshes.h"
#include "data/media/render.h"
#include "data/synthetic/synthetic_media.h"

namespace tetra::data {
namespace {

using testing::TempDir;

constexpr uint8_t kRed[3] = {220, 20, 30};
constexpr uint8_t kGreen[3] = {10, 200, 40};

PackMeshesOptions SmallOptions() {
  PackMeshesOptions o;
  o.views = 8;
  o.resolution = 128;
  return o;
}

// Mean colour of voxel i's patch, in [0, 255].
std::array<double, 3> PatchMean(const MeshVoxels& voxels, int64_t i) {
  std::array<double, 3> mean{0, 0, 0};
  for (int64_t k = 0; k < kVoxelFeatureWidth; ++k) {
    mean[k % 3] += half_to_float(voxels.features[i * kVoxelFeatureWidth + k]) * 255.0 / 256.0;
  }
  return mean;
}

TEST(Cameras, EveryCameraSeesTheWholeUnitCubeCentred) {
  const std::vector<Camera> cameras = sphere_cameras(16, 2.0f, 55.0f, 256);
  ASSERT_EQ(cameras.size(), 16u);
  for (const Camera& cam : cameras) {
    const Vec3 origin = to_camera(cam, {0, 0, 0});
    EXPECT_NEAR(origin[2], 2.0f, 1e-4f) << "looks at the origin from radius 2";
    EXPECT_NEAR(origin[0], 0.0f, 1e-4f);
    for (int corner = 0; corner < 8; ++corner) {
      const Vec3 p = to_camera(cam, {corner & 1 ? 0.5f : -0.5f, corner & 2 ? 0.5f : -0.5f,
                                    corner & 4 ? 0.5f : -0.5f});
      const float x = cam.fx * p[0] / p[2] + cam.cx, y = cam.fy * p[1] / p[2] + cam.cy;
      EXPECT_TRUE(x > 0 && x < 256 && y > 0 && y < 256) << x << "," << y;
    }
  }
}

TEST(Render, DepthMatchesTheGeometry) {
  TempDir dir;
  ASSERT_TRUE(write_box_mesh(dir.Sub("box.obj"), BoxFile::kObj, 1, 1, 1, kRed).ok());
  absl::StatusOr<TriangleMesh> mesh = load_mesh_file(dir.Sub("box.obj"));
  ASSERT_TRUE(mesh.ok()) << mesh.status();
  EXPECT_EQ(mesh->colour, MeshColour::kShaded);
  // A camera on +z looking at the origin sees the z = +0.5 face at depth 1.5 in the centre.
  Camera cam = sphere_cameras(1, 2.0f, 55.0f, 64)[0];
  cam.rotation = {1, 0, 0, 0, -1, 0, 0, 0, -1};
  cam.translation = {0, 0, 2};
  const RenderedView view = render_view(*mesh, cam, 64);
  EXPECT_NEAR(view.depth[32 * 64 + 32], 1.5f, 1e-4f);
  EXPECT_EQ(view.depth[0], 0.0f) << "corner pixels see the background";
  EXPECT_EQ(view.rgb[0], 0);
  // Head-on, the fixed shading is the full grey albedo 0.8.
  EXPECT_NEAR(view.rgb[(32 * 64 + 32) * 3], 204, 2);
}

TEST(PackMeshes, VoxelsCoverTheSurfaceAndTakeTheRightColours) {
  TempDir dir;
  std::filesystem::create_directories(dir.Sub("in/sub"));
  ASSERT_TRUE(write_box_mesh(dir.Sub("in/cube.obj"), BoxFile::kObj, 1, 1, 1, kRed).ok());
  ASSERT_TRUE(write_box_mesh(dir.Sub("in/red.ply"), BoxFile::kPlyColoured, 1, 0.5f, 0.5f, kRed).ok());
  ASSERT_TRUE(write_box_mesh(dir.Sub("in/sub/green.gltf"), BoxFile::kGltfTextured, 1, 1, 0.25f, kGreen).ok());
  ASSERT_TRUE(write_box_mesh(dir.Sub("in/plain.off"), BoxFile::kOff, 0.5f, 1, 1, kRed).ok());
  testing::WriteBytes(dir.Sub("in/empty.obj"), {});
  testing::WriteBytes(dir.Sub("in/junk.ply"), {'p', 'l', 'y', '\n', 'x'});

  PackMeshesOptions o = SmallOptions();
  o.in_dir = dir.Sub("in");
  o.out_dir = dir.Sub("out");
  absl::StatusOr<PackReport> report = pack_meshes(o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->packed, 4);
  ASSERT_EQ(report->skipped.size(), 2u);
  EXPECT_EQ(report->skipped[0].rfind("empty.obj: ", 0), 0u) << report->skipped[0];
  EXPECT_EQ(report->skipped[1].rfind("junk.ply: ", 0), 0u) << report->skipped[1];

  auto reader = MeshShardReader::open(dir.Sub("out/shard-00000.h5"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_EQ((*reader)->size(), 4);
  // Sorted: cube.obj, plain.off, red.ply, sub/green.gltf.
  const MeshInfo& cube = (*reader)->info(0);
  EXPECT_EQ(cube.source_id, "cube.obj");
  // 8 views of 128^2 sample the surface more sparsely than the grid: nearly all of the unit
  // cube's 23816 surface voxels, and nothing inside it.
  EXPECT_GT(cube.num_voxels, 0.95 * (6 * 64 * 64 - 12 * 64 + 8));
  EXPECT_LE(cube.num_voxels, 6 * 64 * 64 - 12 * 64 + 8);
  absl::StatusOr<MeshVoxels> voxels = (*reader)->read_voxels(0);
  ASSERT_TRUE(voxels.ok());
  for (int64_t i = 0; i < voxels->count(); ++i) {
    const uint8_t* c = &voxels->coords[i * 3];
    EXPECT_TRUE(c[0] == 0 || c[0] == 63 || c[1] == 0 || c[1] == 63 || c[2] == 0 || c[2] == 63);
  }
  EXPECT_EQ((*reader)->info(1).colour, MeshColour::kShaded);
  EXPECT_EQ((*reader)->info(2).colour, MeshColour::kVertexColours);
  EXPECT_EQ((*reader)->info(3).colour, MeshColour::kTexture);
  // A flat box: only its middle slab of the grid is occupied.
  absl::StatusOr<MeshVoxels> slab = (*reader)->read_voxels(3);
  ASSERT_TRUE(slab.ok());
  for (int64_t i = 0; i < slab->count(); ++i) {
    EXPECT_GE(slab->coords[i * 3 + 2], 23);
    EXPECT_LE(slab->coords[i * 3 + 2], 40);
  }
  for (int64_t sample : {2, 3}) {
    absl::StatusOr<MeshVoxels> v = (*reader)->read_voxels(sample);
    ASSERT_TRUE(v.ok());
    const uint8_t* want = sample == 2 ? kRed : kGreen;
    // The voxel at the centre of the +z face: its patch lies inside that face.
    int64_t best = -1;
    for (int64_t i = 0; i < v->count(); ++i) {
      if (v->coords[i * 3] == 32 && v->coords[i * 3 + 1] == 32) best = i;
    }
    ASSERT_GE(best, 0);
    const std::array<double, 3> mean = PatchMean(*v, best);
    for (int ch = 0; ch < 3; ++ch) EXPECT_NEAR(mean[ch], want[ch], 12.0) << sample << " ch " << ch;
  }
  absl::StatusOr<MeshViews> views = (*reader)->read_views(0);
  ASSERT_TRUE(views.ok());
  EXPECT_EQ(views->count, 8);
  EXPECT_EQ(views->resolution, 128);
  EXPECT_FLOAT_EQ(views->extrinsics[15], 1.0f);
  EXPECT_FLOAT_EQ(views->intrinsics[2], 64.0f) << "cx is the image centre";
}

TEST(PackMeshes, LoaderTurnsVoxelsIntoTokens) {
  TempDir dir;
  std::filesystem::create_directories(dir.Sub("in"));
  ASSERT_TRUE(write_box_mesh(dir.Sub("in/a.ply"), BoxFile::kPlyColoured, 1, 1, 1, kRed).ok());
  ASSERT_TRUE(write_box_mesh(dir.Sub("in/b.obj"), BoxFile::kObj, 1, 0.3f, 1, kRed).ok());
  PackMeshesOptions o = SmallOptions();
  o.in_dir = dir.Sub("in");
  o.out_dir = dir.Sub("out");
  ASSERT_TRUE(pack_meshes(o).ok());
  LoaderOptions lo;
  lo.modality = Modality::k3d;
  lo.path = dir.Sub("out");
  lo.max_tokens = 1;
  absl::StatusOr<std::unique_ptr<Loader>> loader = Loader::create(lo);
  ASSERT_TRUE(loader.ok()) << loader.status();
  absl::StatusOr<Batch> batch = (*loader)->next();
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->samples.size(), 1u);
  const Sample& s = batch->samples[0];
  EXPECT_EQ(batch->num_tokens, s.voxels.count());
  EXPECT_EQ(s.grid.tokens, s.voxels.count());
  const int64_t last = batch->num_tokens - 1;
  EXPECT_EQ(batch->coords[last * 4 + 0], 0);
  EXPECT_EQ(batch->coords[last * 4 + 1], s.voxels.coords[last * 3]);
  EXPECT_EQ(batch->coords[last * 4 + 3], s.voxels.coords[last * 3 + 2]);
  EXPECT_FLOAT_EQ(batch->features[last * 3072 + 5],
                  half_to_float(s.voxels.features[last * 768 + 5]) * 2 - 1);
  EXPECT_FLOAT_EQ(batch->features[last * 3072 + 768], 0.0f) << "zero-padded past the frame-0 slot";
}

}  // namespace
}  // namespace tetra::data
