#include "data/shards/text_columns.h"

#include "absl/strings/str_cat.h"
#include "data/util/half.h"

namespace tetra::data {
namespace {

constexpr char kGroup[] = "text";
constexpr char kCaption[] = "text/caption";
constexpr char kEmbedding[] = "text/embedding";
constexpr char kWidthAttr[] = "embedding_width";
constexpr char kEncoderAttr[] = "encoder";

}  // namespace

absl::StatusOr<TextColumns> read_text_columns(const ShardFileReader& shard) {
  TextColumns text;
  if (!shard.has(kCaption)) return text;
  absl::StatusOr<std::vector<std::string>> captions =
      shard.strings(kCaption, static_cast<hsize_t>(shard.num_samples()));
  if (!captions.ok()) return captions.status();
  text.captions = std::move(*captions);
  if (!shard.has(kEmbedding)) return text;
  absl::StatusOr<std::vector<hsize_t>> dims = shard.shape(kEmbedding);
  if (!dims.ok()) return dims.status();
  if (dims->size() != 2 || (*dims)[0] != static_cast<hsize_t>(shard.num_samples()) ||
      (*dims)[1] == 0) {
    return shard.corrupt(absl::StrCat(kEmbedding, " must be [num_samples, width]"));
  }
  text.embedding_width = static_cast<int64_t>((*dims)[1]);
  absl::StatusOr<std::string> encoder = shard.string_attribute(kGroup, kEncoderAttr);
  text.encoder = encoder.ok() ? *encoder : "";
  return text;
}

absl::Status read_text_embedding(const ShardFileReader& shard, int64_t index, int64_t width,
                               std::vector<float>* out) {
  std::vector<uint16_t> halves(static_cast<size_t>(width));
  H5Type half = make_half_type();
  if (absl::Status s = shard.read_rows(kEmbedding, half.get(), index, 1, halves.data()); !s.ok()) {
    return s;
  }
  out->resize(halves.size());
  for (size_t i = 0; i < halves.size(); ++i) (*out)[i] = half_to_float(halves[i]);
  return absl::OkStatus();
}

absl::Status write_text_columns(ShardFileWriter& shard, const std::vector<std::string>& captions,
                              const std::vector<uint16_t>& embeddings, int64_t width,
                              const std::string& encoder) {
  if (absl::Status s = shard.remove_group(kGroup); !s.ok()) return s;
  if (absl::Status s = shard.write_strings(kCaption, captions); !s.ok()) return s;
  if (width <= 0) return absl::OkStatus();
  if (embeddings.size() != captions.size() * static_cast<size_t>(width)) {
    return absl::InvalidArgumentError(absl::StrCat("shard '", shard.path(), "': ", embeddings.size(),
                                                   " embedding values for ", captions.size(),
                                                   " captions of width ", width));
  }
  H5Type half = make_half_type();
  const hsize_t rows = captions.size();
  if (absl::Status s = shard.define_table(kEmbedding, half.get(), {static_cast<hsize_t>(width)},
                                         std::max<hsize_t>(1, std::min<hsize_t>(rows, 256)), 0);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = shard.append(kEmbedding, half.get(), embeddings.data(), rows); !s.ok()) {
    return s;
  }
  if (absl::Status s = shard.write_int_attribute(kGroup, kWidthAttr, width); !s.ok()) return s;
  return shard.write_string_attribute(kGroup, kEncoderAttr, encoder);
}

}  // namespace tetra::data
