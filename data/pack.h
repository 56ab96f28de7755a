// `tetra-data pack images`: a folder tree of PNG/JPEG files -> image shards.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tetra::data {

struct PackImagesOptions {
  std::string in_dir;
  std::string out_dir;
  int64_t shard_size = 1000;  // samples per shard
  int64_t threads = 2;        // files are validated (decoded) in parallel
  bool resume = false;        // continue an interrupted pack of the same inputs in out_dir
};

struct PackReport {
  int64_t packed = 0;
  int64_t shards = 0;
  std::vector<std::string> skipped;  // "path: reason", also written to <out_dir>/pack_report.txt
  int64_t ignored = 0;               // files without a wanted extension
  int64_t resumed_shards = 0;        // shards found finished by a --resume run
};

absl::StatusOr<PackReport> PackImages(const PackImagesOptions& options);

}  // namespace tetra::data
