#include "data/shard_sequence.h"

#include <cstdio>
#include <filesystem>

namespace tetra::data {

ShardSequence::ShardSequence(std::string dir, int64_t shard_size)
    : dir_(std::move(dir)), shard_size_(shard_size) {}

absl::Status ShardSequence::Add(const ImageRecord& record) {
  if (writer_ == nullptr) {
    char name[32];
    std::snprintf(name, sizeof(name), "shard-%05lld.h5", static_cast<long long>(shards_));
    absl::StatusOr<std::unique_ptr<ImageShardWriter>> writer =
        ImageShardWriter::Create((std::filesystem::path(dir_) / name).string());
    if (!writer.ok()) return writer.status();
    writer_ = std::move(*writer);
  }
  if (absl::Status s = writer_->Add(record); !s.ok()) return s;
  return writer_->size() == shard_size_ ? Close() : absl::OkStatus();
}

absl::Status ShardSequence::Close() {
  if (writer_ == nullptr) return absl::OkStatus();
  absl::Status s = writer_->Finish();
  writer_.reset();
  ++shards_;
  return s;
}

}  // namespace tetra::data
