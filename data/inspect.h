// `tetra-data inspect`: a human-readable summary of any shard (attributes, first samples, captions).
#pragma once
#include <string>

#include "absl/status/statusor.h"

namespace tetra::data {

absl::StatusOr<std::string> DescribeShard(const std::string& path);

}  // namespace tetra::data
