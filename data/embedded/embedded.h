// The embedded default dataset: small procedural images, video clips and meshes, each captioned
// with what it shows ("a red disc and a blue box on a green background", "a yellow disc moving
// left on a blue background", "a tall red box") and carrying the caption's hashed bag-of-words
// text embedding, written as ordinary shards so the smoke run exercises the real shard, loader and
// text path with nothing downloaded. docs/data-format.md, "The embedded dataset".
#pragma once
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "data/shards/modality.h"

namespace tetra::data {

struct EmbeddedDatasetOptions {
  // Images (field names kept from the image-only version). Sizes vary per image in [min, max].
  int64_t num_train = 512;
  int64_t num_heldout = 64;
  int64_t min_side = 48;
  int64_t max_side = 96;
  // Video clips of `video_frames` raw RGB8 frames at `video_fps`; each side a multiple of 16 drawn
  // in [video_min_side, video_max_side] (so training crops never cut the moving shape).
  int64_t video_train = 128;
  int64_t video_heldout = 32;
  int64_t video_frames = 20;
  int64_t video_min_side = 32;
  int64_t video_max_side = 64;
  double video_fps = 8.0;
  // Meshes: small objects near the origin (roughly 50-400 occupied voxels of the 64^3 grid),
  // rendered from `mesh_views` cameras at `mesh_resolution`^2 (a multiple of 16) by the packer's
  // renderer and voxeliser.
  int64_t mesh_train = 128;
  int64_t mesh_heldout = 32;
  int64_t mesh_views = 6;
  int64_t mesh_resolution = 64;
  // All modalities.
  int64_t shard_size = 128;  // samples per shard
  int64_t text_width = 64;   // hashed bag-of-words embedding width (data/embedded/hashed_text_encoder.h)
  uint64_t seed = 1234;
  int64_t threads = 2;  // generation threads; the bytes do not depend on it (not part of READY)
};

// <dir>/<modality>/{train,heldout}, modality = modality_disk_name(m): "image", "video" or "mesh".
std::string embedded_split_dir(const std::string& dir, Modality modality, bool heldout);

// Writes every modality's train and held-out shards under `dir` unless <dir>/READY exists with the
// same options; a flock on <dir>/.lock makes concurrent callers (local ranks) wait for the first.
// Deterministic: same options, same bytes.
absl::Status ensure_embedded_dataset(const std::string& dir, const EmbeddedDatasetOptions& options);

}  // namespace tetra::data
