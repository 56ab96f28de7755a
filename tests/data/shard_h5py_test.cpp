// The shard layout is a public format: h5py (no tetra code) must read back what C++ wrote.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "data/data_test_support.h"
#include "data/util/half.h"
#include "data/media/image_encode.h"
#include "data/shards/mesh_shard.h"
#include "data/pack/captions.h"
#include "data/shards/image_shard.h"
#include "data/synthetic/synthetic_media.h"
#include "data/shards/video_shard.h"

namespace tetra::data {
namespace {

using testing::PatternImage;

std::string RunAndCapture(const std::string& command, int* exit_code) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  *exit_code = ::pclose(pipe);
  return out;
}

std::string Hex(uint64_t v) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(v));
  return text;
}

// tests/data/read_shard.py's JSON summary of `path`, or a failure.
nlohmann::json ReadWithPython(const std::string& path) {
  int exit_code = -1;
  const std::string output =
      RunAndCapture(std::string(std::getenv("TETRA_PYTHON")) + " " + std::getenv("TETRA_SOURCE_DIR") +
                        "/tests/data/read_shard.py " + path + " 2>&1",
                    &exit_code);
  EXPECT_EQ(exit_code, 0) << output;
  const nlohmann::json summary = nlohmann::json::parse(output, nullptr, false);
  EXPECT_FALSE(summary.is_discarded()) << output;
  return summary;
}

bool HavePython() {
  const char* python = std::getenv("TETRA_PYTHON");
  return python != nullptr && *python != '\0' && std::getenv("TETRA_SOURCE_DIR") != nullptr;
}

// Embedding i of caption c: (c.size(), i), exact in fp16.
class IndexEncoder : public TextEncoder {
 public:
  absl::StatusOr<std::vector<float>> encode(const std::vector<std::string>& texts) override {
    std::vector<float> out;
    for (const std::string& t : texts) out.insert(out.end(), {static_cast<float>(t.size()), 0.25f});
    return out;
  }
  int64_t width() const override { return 2; }
  std::string name() const override { return "index"; }
};

TEST(ShardH5py, PythonReadsVideoShardsAndCaptions) {
  if (!HavePython()) GTEST_SKIP() << "TETRA_PYTHON/TETRA_SOURCE_DIR unset (ctest sets them)";
  testing::TempDir dir;
  auto writer = VideoShardWriter::create(dir.Sub("shard-00000.h5"));
  ASSERT_TRUE(writer.ok()) << writer.status();
  std::vector<VideoRecord> records(2);
  for (int clip = 0; clip < 2; ++clip) {
    records[clip].info = {"clips/v" + std::to_string(clip) + ".mp4", ImageEncoding::kJpeg, 24, 32,
                          8.0 + clip, 0, 48, 64, 24.0};
    for (int k = 0; k < 5 + clip; ++k) {
      records[clip].frames.push_back(*encode_jpeg_bytes(synthetic_frame(k, 24, 32), 90));
    }
    ASSERT_TRUE((*writer)->add(records[clip]).ok());
  }
  ASSERT_TRUE((*writer)->finish().ok());
  const std::string manifest = "path,caption\nclips/v1.mp4,\"a clip, captioned\"\n";
  testing::WriteBytes(dir.Sub("m.csv"), std::vector<uint8_t>(manifest.begin(), manifest.end()));
  IndexEncoder encoder;
  ASSERT_TRUE(pack_captions({dir.Sub("m.csv"), dir.path(), 4}, &encoder).ok());

  const nlohmann::json s = ReadWithPython(dir.Sub("shard-00000.h5"));
  EXPECT_EQ(s["modality"], "video");
  EXPECT_EQ(s["num_samples"], 2);
  EXPECT_EQ(s["source_ids"][1], "clips/v1.mp4");
  EXPECT_EQ(s["num_frames"], nlohmann::json({5, 6}));
  EXPECT_EQ(s["fps"], nlohmann::json({8.0, 9.0}));
  EXPECT_EQ(s["source_fps"][0], 24.0);
  EXPECT_EQ(s["height"][0], 24);
  EXPECT_EQ(s["encoding"][0], 2);
  for (int clip = 0; clip < 2; ++clip) {
    EXPECT_EQ(s["last_frame_checksums"][clip], Hex(testing::Fnv1a64(records[clip].frames.back())));
  }
  EXPECT_EQ(s["text"]["captions"], nlohmann::json({"", "a clip, captioned"}));
  EXPECT_EQ(s["text"]["embedding_dtype"], "float16");
  EXPECT_EQ(s["text"]["embedding_width"], 2);
  EXPECT_EQ(s["text"]["embedding_rows"], nlohmann::json({{0.0, 0.0}, {17.0, 0.25}}));
}

TEST(ShardH5py, PythonReadsMeshShards) {
  if (!HavePython()) GTEST_SKIP() << "TETRA_PYTHON/TETRA_SOURCE_DIR unset (ctest sets them)";
  testing::TempDir dir;
  MeshRecord r;
  r.info = {"models/box.obj", 8, 12, MeshColour::kVertexColours, 0, 0};
  int64_t coords_sum = 0;
  double features_sum = 0;
  for (int v = 0; v < 3; ++v) {
    r.voxels.coords.insert(r.voxels.coords.end(), {uint8_t(v), uint8_t(10 + v), uint8_t(63)});
    coords_sum += v + 10 + v + 63;
    for (int k = 0; k < kVoxelFeatureWidth; ++k) {
      const float value = static_cast<float>((k + v) % 5) / 4.0f;
      r.voxels.features.push_back(float_to_half(value));
      features_sum += value;
    }
  }
  r.views.count = 2;
  r.views.resolution = 16;
  r.views.rgb.assign(2 * 16 * 16 * 3, 7);
  r.views.rgb[5] = 200;
  r.views.depth.assign(2 * 16 * 16, float_to_half(1.5f));
  r.views.extrinsics.assign(32, 0.5f);
  r.views.intrinsics.assign(18, 1.0f);
  auto writer = MeshShardWriter::create(dir.Sub("shard-00000.h5"));
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->add(r).ok());
  ASSERT_TRUE((*writer)->finish().ok());

  const nlohmann::json s = ReadWithPython(dir.Sub("shard-00000.h5"));
  EXPECT_EQ(s["modality"], "mesh");
  EXPECT_EQ(s["source_ids"][0], "models/box.obj");
  EXPECT_EQ(s["grid_size"], 64);
  EXPECT_EQ(s["feature_width"], 768);
  EXPECT_EQ(s["features_dtype"], "float16");
  EXPECT_EQ(s["coords_sum"][0], coords_sum);
  EXPECT_DOUBLE_EQ(s["features_sum"][0].get<double>(), features_sum);
  EXPECT_EQ(s["num_views"][0], 2);
  EXPECT_EQ(s["rgb_checksums"][0], Hex(testing::Fnv1a64(r.views.rgb)));
  EXPECT_DOUBLE_EQ(s["depth_sum"][0].get<double>(), 1.5 * 2 * 16 * 16);
  EXPECT_DOUBLE_EQ(s["extrinsics_sum"][0].get<double>(), 16.0);
  EXPECT_EQ(s["colour"][0], 1);
  EXPECT_EQ(s["text"], nlohmann::json::object());
}

TEST(ShardH5py, PythonReadsWhatCppWrote) {
  if (!HavePython()) GTEST_SKIP() << "TETRA_PYTHON/TETRA_SOURCE_DIR unset (ctest sets them)";
  testing::TempDir dir;
  const std::string path = dir.Sub("py.h5");
  const std::vector<ImageRecord> records = {
      testing::RawRecord("raw/é-unicode", PatternImage(3, 5, 1)),
      testing::PngRecord("png/b.png", PatternImage(6, 4, 2)),
      testing::RawRecord("raw/c", PatternImage(2, 2, 3))};
  testing::WriteShard(path, records);

  const nlohmann::json summary = ReadWithPython(path);

  EXPECT_EQ(summary["format"], "tetra-shard");
  EXPECT_EQ(summary["format_version"], kShardFormatVersion);
  EXPECT_EQ(summary["modality"], "image");
  EXPECT_EQ(summary["num_samples"], records.size());
  EXPECT_EQ(summary["offsets_dtype"], "uint64");
  EXPECT_EQ(summary["data_dtype"], "uint8");
  uint64_t offset = 0;
  ASSERT_EQ(summary["offsets"].size(), records.size() + 1);
  EXPECT_EQ(summary["offsets"][0], 0);
  for (size_t i = 0; i < records.size(); ++i) {
    offset += records[i].bytes.size();
    EXPECT_EQ(summary["offsets"][i + 1], offset);
    EXPECT_EQ(summary["source_ids"][i], records[i].source_id);
    EXPECT_EQ(summary["encoding"][i], static_cast<int>(records[i].encoding));
    EXPECT_EQ(summary["height"][i], records[i].height);
    EXPECT_EQ(summary["width"][i], records[i].width);
    EXPECT_EQ(summary["checksums"][i], Hex(testing::Fnv1a64(records[i].bytes)));
  }
}

}  // namespace
}  // namespace tetra::data
