// `tetra-data inspect`: a human-readable summary of any shard (attributes, first samples, captions).
#pragma once
#include <string>

#include "absl/status/statusor.h"
#include "data/shards/modality.h"

namespace tetra::data {

absl::StatusOr<std::string> describe_shard(const std::string& path);
// The modality a shard file holds (its root attribute), for tools that take any shard folder.
absl::StatusOr<Modality> shard_modality(const std::string& path);

}  // namespace tetra::data
