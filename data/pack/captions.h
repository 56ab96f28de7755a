// `tetra-data pack captions`: attaches a manifest's captions to already packed shards of any
// modality (matched by source_id) and, with a text encoder, their fp16 embeddings. Each shard is
// rewritten atomically, so an interrupted run is simply run again.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "data/pack/text_encoder.h"

namespace tetra::data {

struct PackCaptionsOptions {
  std::string manifest;
  std::string shards_dir;
  int64_t batch = 64;  // captions per encoder call
};

struct CaptionReport {
  int64_t shards = 0;
  int64_t samples = 0;
  int64_t captioned = 0;
  int64_t embedding_width = 0;          // 0 without an encoder
  std::vector<std::string> unmatched;   // manifest paths that name no sample
};

// Replaces the /text group of the shard at `path` (any modality) with one caption per sample and,
// with an encoder (may be null), their fp16 embeddings (`batch` captions per Encode call; "" gets a
// zero row). Atomic: the shard is rewritten under a temporary name and renamed.
absl::Status write_shard_captions(const std::string& path, const std::vector<std::string>& captions,
                                TextEncoder* encoder, int64_t batch);

// `encoder` may be null (captions only). Writes <shards_dir>/captions_report.txt.
absl::StatusOr<CaptionReport> pack_captions(const PackCaptionsOptions& options, TextEncoder* encoder);

}  // namespace tetra::data
