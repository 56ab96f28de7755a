// Opening a loader's dataset: the shard list (a missing path is an error now, not mid-run) and each
// shard's sample count. Internal to tetra_data.
#pragma once
#include <cstdint>

#include "absl/status/statusor.h"
#include "data/loader/loader.h"
#include "data/loader/order.h"

namespace tetra::data {

// Opens every shard once. Unreadable shards are logged and left out (counted in *skipped, which may
// be nullptr); no readable shard at all is an error.
absl::StatusOr<ShardCatalog> open_catalog(const LoaderOptions& options, int64_t* skipped);

}  // namespace tetra::data
