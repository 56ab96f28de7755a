// The embedded default dataset: procedurally generated images (smooth gradients, discs, boxes,
// stripes), written as ordinary image shards so the smoke run exercises the real shard path.
#pragma once
#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace tetra::data {

struct EmbeddedDatasetOptions {
  int64_t num_train = 512;
  int64_t num_heldout = 64;
  int64_t min_side = 48;     // sizes vary per image in [min_side, max_side]
  int64_t max_side = 96;
  int64_t shard_size = 128;
  uint64_t seed = 1234;
};

// Writes <dir>/train/*.h5 and <dir>/heldout/*.h5 unless <dir>/READY exists with the same options.
// Deterministic: same options, same bytes.
absl::Status EnsureEmbeddedDataset(const std::string& dir, const EmbeddedDatasetOptions& options);

}  // namespace tetra::data
