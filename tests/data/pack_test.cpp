#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "data/data_test_support.h"
#include "data/pack/pack.h"
#include "data/shards/image_shard.h"
#include "support/run_command.h"

namespace tetra::data {
namespace {

using testing::EncodeJpeg;
using testing::EncodeRgbPng;
using testing::PatternImage;
using testing::ReadBytes;
using testing::TempDir;
using testing::WriteBytes;

// in/ holds four good images (one with an upper-case extension), an empty file, a truncated PNG
// and a text file. Sorted relative paths: a.png, empty.png, notes.txt, sub/b.jpg, sub/d.png,
// sub/deeper/c.JPEG, sub/trunc.png.
void MakeTree(const TempDir& dir) {
  WriteBytes(dir.Sub("in/a.png"), EncodeRgbPng(PatternImage(10, 12, 1)));
  WriteBytes(dir.Sub("in/sub/b.jpg"), EncodeJpeg(PatternImage(16, 8, 2), 90));
  WriteBytes(dir.Sub("in/sub/deeper/c.JPEG"), EncodeJpeg(PatternImage(8, 24, 3), 90));
  WriteBytes(dir.Sub("in/sub/d.png"), EncodeRgbPng(PatternImage(5, 6, 4)));
  WriteBytes(dir.Sub("in/empty.png"), {});
  std::vector<uint8_t> truncated = EncodeRgbPng(PatternImage(40, 40, 5));
  truncated.resize(truncated.size() / 2);
  WriteBytes(dir.Sub("in/sub/trunc.png"), truncated);
  WriteBytes(dir.Sub("in/notes.txt"), {'h', 'i'});
}

// PackImagesOptions for in -> out with the given shard size, threads and resume flag.
PackImagesOptions Folder(const std::string& in, const std::string& out, int64_t shard_size, int64_t threads,
                         bool resume = false) {
  PackImagesOptions o;
  o.in_dir = in;
  o.out_dir = out;
  o.shard_size = shard_size;
  o.threads = threads;
  o.resume = resume;
  return o;
}

TEST(Pack, PacksGoodImagesAndReportsBadOnes) {
  TempDir dir;
  MakeTree(dir);
  absl::StatusOr<PackReport> report =
      pack_images(Folder(dir.Sub("in"), dir.Sub("out"), /*shard_size=*/2, /*threads=*/2));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->packed, 4);
  EXPECT_EQ(report->shards, 2);
  ASSERT_EQ(report->skipped.size(), 2u);
  EXPECT_EQ(report->skipped[0], "empty.png: empty file");
  EXPECT_EQ(report->skipped[1].rfind("sub/trunc.png: cannot decode PNG", 0), 0u)
      << report->skipped[1];

  absl::StatusOr<std::vector<std::string>> shards = list_shards(dir.Sub("out"));
  ASSERT_TRUE(shards.ok()) << shards.status();
  EXPECT_EQ(*shards, (std::vector<std::string>{dir.Sub("out/shard-00000.h5"),
                                               dir.Sub("out/shard-00001.h5")}));
  struct Expected {
    std::string id;
    ImageEncoding encoding;
    int64_t height, width;
  };
  const std::vector<Expected> expected = {{"a.png", ImageEncoding::kPng, 10, 12},
                                          {"sub/b.jpg", ImageEncoding::kJpeg, 16, 8},
                                          {"sub/d.png", ImageEncoding::kPng, 5, 6},
                                          {"sub/deeper/c.JPEG", ImageEncoding::kJpeg, 8, 24}};
  for (size_t i = 0; i < expected.size(); ++i) {
    auto reader = ImageShardReader::open((*shards)[i / 2]);
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ((*reader)->size(), 2);
    absl::StatusOr<ImageRecord> record = (*reader)->read(static_cast<int64_t>(i % 2));
    ASSERT_TRUE(record.ok()) << record.status();
    EXPECT_EQ(record->source_id, expected[i].id);
    EXPECT_EQ(record->encoding, expected[i].encoding);
    EXPECT_EQ(record->height, expected[i].height);
    EXPECT_EQ(record->width, expected[i].width);
    EXPECT_EQ(record->bytes, ReadBytes(dir.Sub("in/" + expected[i].id)))
        << "the original file bytes are stored, not decoded pixels";
  }

  const std::vector<uint8_t> text = ReadBytes(dir.Sub("out/pack_report.txt"));
  const std::string report_text(text.begin(), text.end());
  EXPECT_NE(report_text.find("packed: 4\n"), std::string::npos) << report_text;
  EXPECT_NE(report_text.find("skipped: 2\n"), std::string::npos);
  EXPECT_NE(report_text.find("empty.png: empty file\n"), std::string::npos);
  EXPECT_EQ(report_text.find("notes.txt"), std::string::npos) << "non-images are not skips";
}

TEST(Pack, OneThreadGivesTheSameShards) {
  TempDir dir;
  MakeTree(dir);
  ASSERT_TRUE(pack_images(Folder(dir.Sub("in"), dir.Sub("one"), 3, 1)).ok());
  ASSERT_TRUE(pack_images(Folder(dir.Sub("in"), dir.Sub("four"), 3, 4)).ok());
  EXPECT_EQ(ReadBytes(dir.Sub("one/shard-00000.h5")), ReadBytes(dir.Sub("four/shard-00000.h5")));
  EXPECT_EQ(ReadBytes(dir.Sub("one/shard-00001.h5")), ReadBytes(dir.Sub("four/shard-00001.h5")));
}

TEST(Pack, ErrorsNameTheProblem) {
  TempDir dir;
  absl::StatusOr<PackReport> missing = pack_images(Folder(dir.Sub("nope"), dir.Sub("out"), 10, 1));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir.Sub("nope")), std::string::npos);

  WriteBytes(dir.Sub("texts/a.txt"), {'x'});
  absl::StatusOr<PackReport> no_images = pack_images(Folder(dir.Sub("texts"), dir.Sub("out"), 10, 1));
  ASSERT_FALSE(no_images.ok());
  EXPECT_NE(no_images.status().message().find("no .png/.jpg/.jpeg"), std::string::npos);

  MakeTree(dir);
  ASSERT_TRUE(pack_images(Folder(dir.Sub("in"), dir.Sub("out"), 10, 1)).ok());
  absl::StatusOr<PackReport> again = pack_images(Folder(dir.Sub("in"), dir.Sub("out"), 10, 1));
  ASSERT_FALSE(again.ok()) << "packing over existing shards would mix datasets";
  EXPECT_NE(again.status().message().find("already holds shards"), std::string::npos);
}

// Runs the real CLI when ctest says where the build put it.
std::string RunCli(const std::string& args, int* exit_code) {
  const char* binary_dir = std::getenv("TETRA_BINARY_DIR");
  const auto result = test_support::run_command(std::string(binary_dir) + "/tetra-data " + args);
  *exit_code = result.exit_code;
  return result.output;
}

TEST(Pack, CommandLinePacksAndInspects) {
  const char* binary_dir = std::getenv("TETRA_BINARY_DIR");
  if (binary_dir == nullptr ||
      !std::filesystem::exists(std::string(binary_dir) + "/tetra-data")) {
    GTEST_SKIP() << "tetra-data binary not found via TETRA_BINARY_DIR (build target tetra-data)";
  }
  TempDir dir;
  MakeTree(dir);
  int code = -1;
  std::string out = RunCli("pack images --in " + dir.Sub("in") + " --out " + dir.Sub("out") +
                               " --shard-size 3 --threads 2",
                           &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("packed 4 images into 2 shards, 2 skipped (see " + dir.Sub("out") +
                     "/pack_report.txt)"),
            std::string::npos)
      << out;

  out = RunCli("inspect " + dir.Sub("out/shard-00000.h5"), &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("num_samples: 3"), std::string::npos) << out;
  EXPECT_NE(out.find("sub/b.jpg  16x8  jpeg"), std::string::npos) << out;

  out = RunCli("pack images --in " + dir.Sub("in") + " --shard-sise 3", &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("unknown flag --shard-sise"), std::string::npos) << out;
  EXPECT_NE(out.find("usage:"), std::string::npos) << out;

  out = RunCli("inspect " + dir.Sub("in/notes.txt"), &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("not an HDF5 file"), std::string::npos) << out;
}

}  // namespace
}  // namespace tetra::data
