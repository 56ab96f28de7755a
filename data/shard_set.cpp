#include "data/shard_set.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tetra::data {

absl::Status ShardSet::Open(const std::vector<std::string>& paths) {
  paths_ = paths;
  open_.clear();
  open_.resize(paths.size());
  recent_.clear();
  starts_.assign(1, 0);
  for (size_t i = 0; i < paths.size(); ++i) {
    absl::StatusOr<std::unique_ptr<ImageShardReader>> reader = ImageShardReader::Open(paths[i]);
    if (!reader.ok()) return reader.status();
    starts_.push_back(starts_.back() + (*reader)->size());
    Remember(i, std::move(*reader));
  }
  return absl::OkStatus();
}

size_t ShardSet::ShardOf(int64_t global) const {
  // The last start <= global; empty shards share their start with the next one and are skipped.
  return static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), global) -
                             starts_.begin()) - 1;
}

void ShardSet::Remember(size_t shard, std::unique_ptr<ImageShardReader> reader) {
  open_[shard] = std::move(reader);
  recent_.push_front(shard);
  if (recent_.size() > kMaxOpenShards) {
    open_[recent_.back()].reset();
    recent_.pop_back();
  }
}

absl::StatusOr<const ImageShardReader*> ShardSet::Reader(size_t shard) {
  if (open_[shard] != nullptr) {
    // Linear in kMaxOpenShards, negligible next to reading a sample.
    recent_.remove(shard);
    recent_.push_front(shard);
    return open_[shard].get();
  }
  absl::StatusOr<std::unique_ptr<ImageShardReader>> reader = ImageShardReader::Open(paths_[shard]);
  if (!reader.ok()) return reader.status();
  Remember(shard, std::move(*reader));
  return open_[shard].get();
}

absl::StatusOr<ImageRecord> ShardSet::Read(int64_t global) {
  const size_t shard = ShardOf(global);
  absl::StatusOr<const ImageShardReader*> reader = Reader(shard);
  if (!reader.ok()) return reader.status();
  return (*reader)->Read(global - starts_[shard]);
}

std::string ShardSet::Label(int64_t global) const {
  const size_t shard = ShardOf(global);
  return absl::StrCat(paths_[shard], "#", global - starts_[shard]);
}

}  // namespace tetra::data
