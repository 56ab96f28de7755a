// Writes a run of records as <dir>/shard-00000.h5, shard-00001.h5, ... with exactly shard_size
// records per shard (the last may hold fewer). Used by the packer and the embedded dataset.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "data/shard.h"

namespace tetra::data {

class ShardSequence {
 public:
  ShardSequence(std::string dir, int64_t shard_size);
  absl::Status Add(const ImageRecord& record);
  absl::Status Close();  // finishes the open shard, if any; call once after the last Add
  int64_t shards() const { return shards_; }

 private:
  std::string dir_;
  int64_t shard_size_;
  int64_t shards_ = 0;
  std::unique_ptr<ImageShardWriter> writer_;
};

}  // namespace tetra::data
