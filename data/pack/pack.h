// `tetra-data pack images`: a folder tree of PNG/JPEG files -> image shards.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tetra::data {

// What every packer takes: a folder of inputs walked recursively, and where the shards go.
struct PackFolderOptions {
  explicit PackFolderOptions(int64_t default_shard_size) : shard_size(default_shard_size) {}
  std::string in_dir;
  std::string out_dir;
  int64_t shard_size;         // samples per shard
  int64_t threads = 2;        // files are decoded in parallel
  bool resume = false;        // continue an interrupted pack of the same inputs in out_dir
};

struct PackImagesOptions : PackFolderOptions {
  PackImagesOptions() : PackFolderOptions(1000) {}
};

struct PackReport {
  int64_t packed = 0;
  int64_t shards = 0;
  std::vector<std::string> skipped;  // "path: reason", also written to <out_dir>/pack_report.txt
  int64_t ignored = 0;               // files without a wanted extension
  int64_t resumed_shards = 0;        // shards found finished by a --resume run
};

absl::StatusOr<PackReport> pack_images(const PackImagesOptions& options);

}  // namespace tetra::data
