// The HDF5 image shard (docs/data-format.md). One modality per file, a format-version attribute,
// samples stored as one byte blob plus offsets so a reader touches only the bytes it needs.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "data/media/image.h"

namespace tetra::data {

inline constexpr int kShardFormatVersion = 1;

enum class ImageEncoding : uint8_t { kRawRgb8 = 0, kPng = 1, kJpeg = 2 };

struct ImageRecord {
  std::string source_id;  // e.g. the path relative to the packed folder
  ImageEncoding encoding = ImageEncoding::kRawRgb8;
  int64_t height = 0;  // original size
  int64_t width = 0;
  std::vector<uint8_t> bytes;  // encoded file bytes, or raw RGB8 pixels
};

class ShardFileReader;
class ShardFileWriter;

// Records accumulate in memory (a shard is bounded by the packer's shard_size) and finish() writes
// the columns at once through a ShardFileWriter: "<path>.tmp", fsync, rename, so a shard exists
// whole or not at all.
class ImageShardWriter {
 public:
  static absl::StatusOr<std::unique_ptr<ImageShardWriter>> create(const std::string& path);
  ~ImageShardWriter();
  absl::Status add(const ImageRecord& record);
  absl::Status finish();
  int64_t size() const { return static_cast<int64_t>(encodings_.size()); }

 private:
  explicit ImageShardWriter(std::unique_ptr<ShardFileWriter> file);
  std::unique_ptr<ShardFileWriter> file_;
  bool finished_ = false;
  // The shard's columns, exactly as they will be written.
  std::vector<uint8_t> blob_;
  std::vector<uint64_t> offsets_{0};
  std::vector<uint8_t> encodings_;
  std::vector<int64_t> heights_;
  std::vector<int64_t> widths_;
  std::vector<std::string> source_ids_;
};

// open() validates the file and loads the small per-sample columns; read() then fetches one
// sample's byte range from the blob and nothing else. Use one reader from one thread at a time;
// separate readers may run concurrently (tetra_data serializes its HDF5 calls internally).
class ImageShardReader {
 public:
  // Checks the format attribute and version; errors name the file and suggest a fix.
  static absl::StatusOr<std::unique_ptr<ImageShardReader>> open(const std::string& path);
  ~ImageShardReader();
  int64_t size() const { return static_cast<int64_t>(encodings_.size()); }
  const std::string& path() const;
  int format_version() const;  // as stored in the file (<= kShardFormatVersion)
  const ShardFileReader& file() const { return *file_; }
  absl::StatusOr<ImageRecord> read(int64_t index) const;
  // Read + decode (raw pixels are copied, PNG/JPEG decoded).
  absl::StatusOr<Image> read_image(int64_t index) const;

 private:
  explicit ImageShardReader(std::unique_ptr<ShardFileReader> file);
  absl::Status load_index();
  std::unique_ptr<ShardFileReader> file_;
  std::vector<uint64_t> offsets_;
  std::vector<uint8_t> encodings_;
  std::vector<int64_t> heights_;
  std::vector<int64_t> widths_;
  std::vector<std::string> source_ids_;
};

// A record's pixels: raw RGB8 copied, PNG/JPEG decoded; the result must match the stored size.
// `name` labels errors (e.g. "shard.h5#17").
absl::StatusOr<Image> decode_record(const ImageRecord& record, std::string_view name);

// All "*.h5" shard files under `dir`, sorted. A missing or empty folder is an error naming it.
absl::StatusOr<std::vector<std::string>> list_shards(const std::string& dir);

}  // namespace tetra::data
