#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "data/data_test_support.h"
#include "data/shards/image_shard.h"

namespace tetra::data {
namespace {

using testing::EncodeJpeg;
using testing::PatternImage;
using testing::PngRecord;
using testing::RawRecord;
using testing::ReadBytes;
using testing::TempDir;
using testing::WriteBytes;
using testing::WriteShard;

std::vector<ImageRecord> MixedRecords() {
  const Image c = PatternImage(16, 24, 3);
  return {RawRecord("raw/a", PatternImage(5, 7, 1)), PngRecord("png/b.png", PatternImage(9, 4, 2)),
          {"jpeg/c.jpg", ImageEncoding::kJpeg, c.height, c.width, EncodeJpeg(c, 90)}};
}

std::unique_ptr<ImageShardReader> OpenOrDie(const std::string& path) {
  absl::StatusOr<std::unique_ptr<ImageShardReader>> reader = ImageShardReader::open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  return reader.ok() ? std::move(*reader) : nullptr;
}

TEST(Shard, RoundTripsBytesAndMetadata) {
  TempDir dir;
  const std::string path = dir.Sub("s.h5");
  const std::vector<ImageRecord> records = MixedRecords();
  WriteShard(path, records);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto reader = OpenOrDie(path);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->size(), 3);
  EXPECT_EQ(reader->path(), path);
  EXPECT_EQ(reader->format_version(), kShardFormatVersion);
  for (int64_t i = 2; i >= 0; --i) {  // out of order: each read stands alone
    absl::StatusOr<ImageRecord> got = reader->read(i);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->source_id, records[i].source_id);
    EXPECT_EQ(got->encoding, records[i].encoding);
    EXPECT_EQ(got->height, records[i].height);
    EXPECT_EQ(got->width, records[i].width);
    EXPECT_EQ(got->bytes, records[i].bytes);
  }
  absl::StatusOr<Image> raw = reader->read_image(0);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(raw->rgb, PatternImage(5, 7, 1).rgb);
  absl::StatusOr<Image> png = reader->read_image(1);
  ASSERT_TRUE(png.ok()) << png.status();
  EXPECT_EQ(png->rgb, PatternImage(9, 4, 2).rgb);
  absl::StatusOr<Image> jpeg = reader->read_image(2);
  ASSERT_TRUE(jpeg.ok()) << jpeg.status();
  EXPECT_EQ(jpeg->height, 16);
  EXPECT_FALSE(reader->read(3).ok());
  EXPECT_FALSE(reader->read(-1).ok());
  EXPECT_EQ(reader->read(3).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(reader->read(-1).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(Shard, SameContentGivesByteIdenticalFiles) {
  TempDir dir;
  WriteShard(dir.Sub("a.h5"), MixedRecords());
  WriteShard(dir.Sub("b.h5"), MixedRecords());
  EXPECT_EQ(ReadBytes(dir.Sub("a.h5")), ReadBytes(dir.Sub("b.h5")));
}

TEST(Shard, GarbageFileIsAClearError) {
  TempDir dir;
  const std::string path = dir.Sub("junk.h5");
  WriteBytes(path, std::vector<uint8_t>(5000, 0x5a));
  absl::StatusOr<std::unique_ptr<ImageShardReader>> reader = ImageShardReader::open(path);
  ASSERT_FALSE(reader.ok());
  const std::string message(reader.status().message());
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("not an HDF5 file"), std::string::npos) << message;
  EXPECT_NE(message.find("re-pack"), std::string::npos) << message;
}

TEST(Shard, TruncatedShardIsAnError) {
  TempDir dir;
  const std::string path = dir.Sub("cut.h5");
  WriteShard(path, MixedRecords());
  std::vector<uint8_t> bytes = ReadBytes(path);
  bytes.resize(bytes.size() / 3);
  WriteBytes(path, bytes);
  absl::StatusOr<std::unique_ptr<ImageShardReader>> reader = ImageShardReader::open(path);
  if (reader.ok()) {  // the superblock may survive; then reading the samples must fail
    bool any_failed = false;
    for (int64_t i = 0; i < (*reader)->size(); ++i) any_failed |= !(*reader)->read(i).ok();
    EXPECT_TRUE(any_failed);
  } else {
    EXPECT_NE(reader.status().message().find(path), std::string::npos);
  }
}

// Rewrites the stored value of the int32 attribute `name`. HDF5 keeps small attributes in the
// object header as a version-1 attribute message: version, reserved, name/datatype/dataspace
// sizes (2 bytes each), then name, datatype and dataspace each padded to 8 bytes, then the value.
void PatchInt32Attribute(const std::string& path, const std::string& name, int32_t value) {
  std::vector<uint8_t> bytes = ReadBytes(path);
  const std::string needle = name + '\0';
  auto it = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
  ASSERT_NE(it, bytes.end()) << "attribute " << name << " not found in " << path;
  const size_t name_at = static_cast<size_t>(it - bytes.begin());
  ASSERT_GE(name_at, 8u);
  const uint8_t* header = &bytes[name_at - 8];
  ASSERT_EQ(header[0], 1) << "expected a version-1 attribute message";
  auto size_at = [&](int k) { return size_t{header[2 + 2 * k]} | size_t{header[3 + 2 * k]} << 8; };
  auto pad8 = [](size_t n) { return (n + 7) / 8 * 8; };
  ASSERT_EQ(size_at(0), needle.size());
  const size_t value_at = name_at + pad8(size_at(0)) + pad8(size_at(1)) + pad8(size_at(2));
  int32_t stored = 0;
  std::memcpy(&stored, &bytes[value_at], 4);
  ASSERT_EQ(stored, kShardFormatVersion) << "located the wrong bytes";
  std::memcpy(&bytes[value_at], &value, 4);
  WriteBytes(path, bytes);
}

TEST(Shard, NewerFormatVersionIsRefusedWithTheVersion) {
  TempDir dir;
  const std::string path = dir.Sub("future.h5");
  WriteShard(path, MixedRecords());
  PatchInt32Attribute(path, "format_version", 7);
  absl::StatusOr<std::unique_ptr<ImageShardReader>> reader = ImageShardReader::open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().message(),
            "shard " + path +
                ": format_version 7 is newer than this build supports (1); rebuild tetra or "
                "repack");
}

TEST(Shard, WriterRejectsBadRecordsAndMisuse) {
  TempDir dir;
  auto writer = ImageShardWriter::create(dir.Sub("w.h5"));
  ASSERT_TRUE(writer.ok());
  ImageRecord short_raw = RawRecord("short", PatternImage(4, 4, 1));
  short_raw.bytes.pop_back();
  absl::Status bad = (*writer)->add(short_raw);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("'short'"), std::string::npos) << bad;
  absl::Status empty = (*writer)->finish();
  EXPECT_FALSE(empty.ok()) << "an empty shard must be refused";
  EXPECT_EQ(empty.code(), absl::StatusCode::kFailedPrecondition) << empty;

  auto second = ImageShardWriter::create(dir.Sub("x.h5"));
  ASSERT_TRUE((*second)->add(RawRecord("ok", PatternImage(2, 2, 1))).ok());
  EXPECT_EQ((*second)->size(), 1);
  ASSERT_TRUE((*second)->finish().ok());
  absl::Status late = (*second)->add(RawRecord("late", PatternImage(2, 2, 1)));
  EXPECT_FALSE(late.ok());
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition) << late;
  absl::Status twice = (*second)->finish();
  EXPECT_FALSE(twice.ok());
  EXPECT_EQ(twice.code(), absl::StatusCode::kFailedPrecondition) << twice;

  auto no_folder = ImageShardWriter::create(dir.Sub("missing/dir/s.h5"));
  EXPECT_FALSE(no_folder.ok());
  EXPECT_EQ(no_folder.status().code(), absl::StatusCode::kNotFound) << no_folder.status();
}

TEST(Shard, ListShardsSortsAndExplainsMissingData) {
  TempDir dir;
  WriteShard(dir.Sub("b.h5"), MixedRecords());
  WriteShard(dir.Sub("a.h5"), MixedRecords());
  WriteBytes(dir.Sub("c.h5.tmp"), {1});
  WriteBytes(dir.Sub("notes.txt"), {1});
  std::filesystem::create_directories(dir.Sub("nested.h5"));
  absl::StatusOr<std::vector<std::string>> shards = list_shards(dir.path());
  ASSERT_TRUE(shards.ok()) << shards.status();
  EXPECT_EQ(*shards, (std::vector<std::string>{dir.Sub("a.h5"), dir.Sub("b.h5")}));

  absl::StatusOr<std::vector<std::string>> missing = list_shards(dir.Sub("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "data path '" + dir.Sub("nope") +
                "' does not exist: pack a dataset with `tetra-data pack images|videos|meshes --in DIR --out " +
                dir.Sub("nope") + "`");
  std::filesystem::create_directories(dir.Sub("empty"));
  absl::StatusOr<std::vector<std::string>> empty = list_shards(dir.Sub("empty"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no *.h5 shards"), std::string::npos);
}

TEST(Shard, OpenNamesAMissingFile) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<ImageShardReader>> reader =
      ImageShardReader::open(dir.Sub("gone.h5"));
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find(dir.Sub("gone.h5")), std::string::npos);
}

}  // namespace
}  // namespace tetra::data
