// The shard layout is a public format: h5py (no tetra code) must read back what C++ wrote.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "data/data_test_support.h"
#include "data/shard.h"

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

TEST(ShardH5py, PythonReadsWhatCppWrote) {
  const char* python = std::getenv("TETRA_PYTHON");
  const char* source_dir = std::getenv("TETRA_SOURCE_DIR");
  if (python == nullptr || source_dir == nullptr || *python == '\0') {
    GTEST_SKIP() << "TETRA_PYTHON/TETRA_SOURCE_DIR unset (ctest sets them): h5py check skipped";
  }
  testing::TempDir dir;
  const std::string path = dir.Sub("py.h5");
  const std::vector<ImageRecord> records = {
      testing::RawRecord("raw/é-unicode", PatternImage(3, 5, 1)),
      testing::PngRecord("png/b.png", PatternImage(6, 4, 2)),
      testing::RawRecord("raw/c", PatternImage(2, 2, 3))};
  testing::WriteShard(path, records);

  int exit_code = -1;
  const std::string output = RunAndCapture(std::string(python) + " " + source_dir +
                                               "/tests/data/read_shard.py " + path + " 2>&1",
                                           &exit_code);
  ASSERT_EQ(exit_code, 0) << output;
  const nlohmann::json summary = nlohmann::json::parse(output, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << output;

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
