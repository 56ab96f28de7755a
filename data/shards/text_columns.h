// The optional /text group of any shard (docs/data-format.md): one UTF-8 caption per sample ("" when
// a sample has none) and, when a text encoder was given at pack time, one fp16 embedding row per
// sample of a recorded width (a zero row for uncaptioned samples).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "data/shards/h5_shard_file.h"

namespace tetra::data {

struct TextColumns {
  std::vector<std::string> captions;  // empty when the shard has no /text group
  int64_t embedding_width = 0;        // 0: no embeddings
  std::string encoder;                // what produced the embeddings (the encoder's file name)
};

// Captions (and embedding width) of a shard; an absent /text group gives empty columns.
absl::StatusOr<TextColumns> read_text_columns(const ShardFileReader& shard);
// Row `index` of /text/embedding as floats.
absl::Status read_text_embedding(const ShardFileReader& shard, int64_t index, int64_t width,
                               std::vector<float>* out);

// Replaces /text: `embeddings` holds captions.size() * width fp16 values (width 0: none).
absl::Status write_text_columns(ShardFileWriter& shard, const std::vector<std::string>& captions,
                              const std::vector<uint16_t>& embeddings, int64_t width,
                              const std::string& encoder);

}  // namespace tetra::data
