// Several shards seen as one sample index space [0, total): shard i's samples follow shard i-1's.
// Only a bounded number of files stays open, so datasets with thousands of shards do not exhaust
// file descriptors. Not thread-safe: the stream's producer thread is its only user.
#pragma once
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "data/shard.h"

namespace tetra::data {

class ShardSet {
 public:
  static constexpr size_t kMaxOpenShards = 64;

  // Opens every shard once to validate it and learn its size.
  absl::Status Open(const std::vector<std::string>& paths);
  int64_t total() const { return starts_.empty() ? 0 : starts_.back(); }
  absl::StatusOr<ImageRecord> Read(int64_t global);
  std::string Label(int64_t global) const;  // "<shard path>#<index in shard>"

 private:
  size_t ShardOf(int64_t global) const;
  absl::StatusOr<const ImageShardReader*> Reader(size_t shard);
  void Remember(size_t shard, std::unique_ptr<ImageShardReader> reader);

  std::vector<std::string> paths_;
  std::vector<int64_t> starts_;  // starts_[i]: first global index of shard i; back() == total
  std::vector<std::unique_ptr<ImageShardReader>> open_;
  std::list<size_t> recent_;  // open shards, most recently used first
};

}  // namespace tetra::data
