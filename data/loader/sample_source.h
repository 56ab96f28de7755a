// One open shard of any modality, read by one loader thread: reads sample i, decodes it and applies
// the sample's transform (resize/crop, video window, random down-scale). Internal to tetra_data.
#pragma once
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "absl/status/statusor.h"
#include "data/shards/h5_shard_file.h"
#include "data/loader/loader.h"
#include "data/shards/mesh_shard.h"
#include "data/shards/image_shard.h"
#include "data/shards/text_columns.h"
#include "data/shards/video_shard.h"
#include "data/loader/video_window.h"

namespace tetra::data {

class ShardSource {
 public:
  static absl::StatusOr<std::unique_ptr<ShardSource>> open(const std::string& path,
                                                           Modality modality, bool load_text);
  int64_t size() const { return size_; }
  // `rng` drives every random choice of this sample (nullptr at evaluation).
  absl::StatusOr<Sample> load(int64_t index, const LoaderOptions& options,
                              std::mt19937_64* rng) const;

 private:
  ShardSource() = default;
  absl::Status load_image(int64_t index, const LoaderOptions& options, std::mt19937_64* rng,
                         Sample* sample) const;
  absl::Status load_video(int64_t index, const LoaderOptions& options, std::mt19937_64* rng,
                         Sample* sample) const;
  absl::Status load_mesh(int64_t index, Sample* sample) const;
  absl::Status load_text(int64_t index, Sample* sample) const;

  std::string path_;
  int64_t size_ = 0;
  std::unique_ptr<ImageShardReader> images_;
  std::unique_ptr<VideoShardReader> videos_;
  std::unique_ptr<MeshShardReader> meshes_;
  const ShardFileReader* file_ = nullptr;  // the open file of whichever reader, for /text
  TextColumns text_;
};

}  // namespace tetra::data
