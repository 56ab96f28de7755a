#include "data/shards/inspect.h"

#include "absl/strings/str_cat.h"
#include "data/shards/h5_shard_file.h"
#include "data/shards/mesh_shard.h"
#include "data/shards/image_shard.h"
#include "data/shards/text_columns.h"
#include "data/shards/video_shard.h"

namespace tetra::data {
namespace {

constexpr int64_t kShown = 5;

const char* encoding_name(ImageEncoding encoding) {
  switch (encoding) {
    case ImageEncoding::kRawRgb8:
      return "raw-rgb8";
    case ImageEncoding::kPng:
      return "png";
    case ImageEncoding::kJpeg:
      return "jpeg";
  }
  return "unknown";
}

// One line per sample for the first `count` samples, from the modality's own reader (opened once).
absl::StatusOr<std::vector<std::string>> describe_samples(const std::string& path, Modality modality,
                                                         int64_t count) {
  std::vector<std::string> lines;
  if (modality == Modality::kImage) {
    auto reader = ImageShardReader::open(path);
    if (!reader.ok()) return reader.status();
    for (int64_t i = 0; i < count; ++i) {
      absl::StatusOr<ImageRecord> r = (*reader)->read(i);
      if (!r.ok()) return r.status();
      lines.push_back(absl::StrCat(r->source_id, "  ", r->height, "x", r->width, "  ",
                                   encoding_name(r->encoding), "  ", r->bytes.size(), " bytes"));
    }
  } else if (modality == Modality::kVideo) {
    auto reader = VideoShardReader::open(path);
    if (!reader.ok()) return reader.status();
    for (int64_t i = 0; i < count; ++i) {
      const VideoInfo& v = (*reader)->info(i);
      lines.push_back(absl::StrCat(v.source_id, "  ", v.num_frames, " frames ", v.height, "x",
                                   v.width, " @ ", v.fps, " fps (source ", v.source_height, "x",
                                   v.source_width, " @ ", v.source_fps, " fps)  ",
                                   encoding_name(v.encoding)));
    }
  } else {
    auto reader = MeshShardReader::open(path);
    if (!reader.ok()) return reader.status();
    for (int64_t i = 0; i < count; ++i) {
      const MeshInfo& m = (*reader)->info(i);
      lines.push_back(absl::StrCat(m.source_id, "  ", m.num_voxels, " voxels  ", m.num_views,
                                   " views  ", m.num_vertices, " vertices ", m.num_faces,
                                   " faces  colour: ", mesh_colour_name(m.colour)));
    }
  }
  return lines;
}

}  // namespace

absl::StatusOr<std::string> describe_shard(const std::string& path) {
  absl::StatusOr<std::unique_ptr<ShardFileReader>> file = ShardFileReader::open_any(path);
  if (!file.ok()) return file.status();
  const ShardFileReader& f = **file;
  absl::StatusOr<TextColumns> text = read_text_columns(f);
  if (!text.ok()) return text.status();
  std::string out = absl::StrCat("shard: ", path, "\nformat: tetra-shard\nformat_version: ",
                                 f.format_version(), "\nmodality: ", modality_disk_name(f.modality()),
                                 "\nnum_samples: ", f.num_samples(), "\n");
  if (!text->captions.empty()) {
    absl::StrAppend(&out, "captions: yes, text embeddings: ",
                    text->embedding_width > 0
                        ? absl::StrCat(text->embedding_width, " wide (", text->encoder, ")")
                        : std::string("no"),
                    "\n");
  }
  absl::StatusOr<std::vector<std::string>> lines =
      describe_samples(path, f.modality(), std::min(kShown, f.num_samples()));
  if (!lines.ok()) return lines.status();
  for (int64_t i = 0; i < static_cast<int64_t>(lines->size()); ++i) {
    absl::StrAppend(&out, "  [", i, "] ", (*lines)[i], "\n");
    if (!text->captions.empty() && !text->captions[i].empty()) {
      absl::StrAppend(&out, "      caption: ", text->captions[i], "\n");
    }
  }
  if (f.num_samples() > kShown) absl::StrAppend(&out, "  ... ", f.num_samples() - kShown, " more\n");
  return out;
}

absl::StatusOr<Modality> shard_modality(const std::string& path) {
  auto shard = ShardFileReader::open_any(path);
  if (!shard.ok()) return shard.status();
  return (*shard)->modality();
}

}  // namespace tetra::data
