// common/files: durable writes leave no temporary, replace old content, and report errno codes;
// SHA-256 matches the FIPS 180-2 test vector.
#include "common/files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace tetra::common {
namespace {
namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tetra_common_files_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FilesTest, AtomicWriteLeavesOnlyTheFile) {
  const std::string path = (dir_ / "a.json").string();
  ASSERT_TRUE(write_file_atomic(path, "{\"x\": 1}\n").ok());
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "a.json");
  }
  EXPECT_EQ(entries, 1);
  auto text = read_file(path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "{\"x\": 1}\n");
}

TEST_F(FilesTest, AtomicWriteReplacesOldContent) {
  const std::string path = (dir_ / "b.txt").string();
  ASSERT_TRUE(write_file_atomic(path, "a much longer first version").ok());
  ASSERT_TRUE(write_file_atomic(path, "short").ok());
  EXPECT_EQ(*read_file(path), "short");
  ASSERT_TRUE(write_file_atomic(path, "").ok());
  EXPECT_EQ(*read_file(path), "");
}

TEST_F(FilesTest, BinaryContentRoundTrips) {
  const std::string path = (dir_ / "c.bin").string();
  const std::string bytes("\0\1\2\xff\0", 5);
  ASSERT_TRUE(write_file_atomic(path, bytes).ok());
  EXPECT_EQ(*read_file(path), bytes);
}

TEST_F(FilesTest, UnwritablePathIsAnErrorNamingIt) {
  const std::string path = (dir_ / "missing_folder" / "d.txt").string();
  absl::Status s = write_file_atomic(path, "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_NE(s.message().find("missing_folder"), std::string::npos) << s;
}

TEST_F(FilesTest, ReadOfMissingFileIsNotFound) {
  auto text = read_file((dir_ / "nope").string());
  EXPECT_EQ(text.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(text.status().message().find("nope"), std::string::npos);
  EXPECT_EQ(sha256_file((dir_ / "nope").string()).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FilesTest, PublishMovesAFinishedFile) {
  const std::string from = (dir_ / "e.partial").string();
  std::ofstream(from) << "done";
  ASSERT_TRUE(publish_file(from, (dir_ / "e").string()).ok());
  EXPECT_FALSE(fs::exists(from));
  EXPECT_EQ(*read_file((dir_ / "e").string()), "done");
}

TEST_F(FilesTest, FsyncOfFolderAndFile) {
  EXPECT_TRUE(fsync_path(dir_.string()).ok());
  EXPECT_TRUE(fsync_path("").ok());  // the current folder
  EXPECT_EQ(fsync_path((dir_ / "nope").string()).code(), absl::StatusCode::kNotFound);
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(FilesTest, Sha256OfFileEqualsSha256OfItsBytes) {
  const std::string path = (dir_ / "f.bin").string();
  std::string big(3 << 20, 'x');  // several read chunks
  big[12345] = 'y';
  ASSERT_TRUE(write_file_atomic(path, big).ok());
  auto sha = sha256_file(path);
  ASSERT_TRUE(sha.ok()) << sha.status();
  EXPECT_EQ(*sha, sha256_hex(big));
  ASSERT_TRUE(write_file_atomic(path, "abc").ok());
  EXPECT_EQ(*sha256_file(path), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace tetra::common
