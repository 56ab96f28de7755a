// Caption manifests for `tetra-data pack captions`: CSV (a header row naming the `path` and
// `caption` columns, RFC 4180 quoting) or JSON Lines ({"path": ..., "caption": ...} per line),
// chosen by the file extension. `path` is a sample's source_id (its path relative to the packed
// input folder).
#pragma once
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tetra::data {

struct CaptionEntry {
  std::string path;
  std::string caption;
};

// Errors name the manifest and the line. A path listed twice keeps its last caption.
absl::StatusOr<std::vector<CaptionEntry>> read_caption_manifest(const std::string& manifest);

}  // namespace tetra::data
