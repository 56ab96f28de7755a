// Internal to the embedded dataset (data/embedded/embedded.cpp): the procedural samples of each modality and
// the captions that describe them. All three makers return StatusOr so the writer treats them alike
// (only a mesh can fail: a degenerate render). Sample i of a split depends only on (seed, modality,
// split, i) and the options that shape it, never on threads or order, so generation may run in
// parallel.
#pragma once
#include <cstdint>
#include <random>
#include <string>

#include "absl/status/statusor.h"
#include "data/embedded/embedded.h"
#include "data/shards/mesh_shard.h"
#include "data/shards/image_shard.h"
#include "data/shards/video_shard.h"

namespace tetra::data::embedded {

template <typename Record>
struct Captioned {
  Record record;
  std::string caption;
};

// The colours captions name. Well apart in RGB, so a small jitter keeps each one recognisable and
// "what is visible" stays true; the order is fixed (indices are drawn from the sample's RNG).
struct NamedColour {
  const char* name;
  double rgb[3];
};
inline constexpr NamedColour kPalette[] = {
    {"red", {215, 35, 35}},     {"orange", {240, 135, 25}}, {"yellow", {240, 220, 40}},
    {"green", {40, 170, 55}},   {"cyan", {40, 205, 220}},   {"blue", {35, 65, 215}},
    {"purple", {135, 50, 185}}, {"pink", {245, 140, 200}},  {"white", {242, 242, 242}},
    {"black", {22, 22, 22}},
};
inline constexpr int kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);
inline constexpr int kBlack =
    kPaletteSize - 1;  // meshes skip it: their views have a black background

// The sample's own generator, seeded by (seed, modality, split, index).
std::mt19937_64 sample_rng(const EmbeddedDatasetOptions& options, Modality modality, bool heldout,
                          int64_t index);
// "a <words>", or "an <words>" before a vowel ("an orange disc").
std::string with_article(const std::string& words);
// "embedded/<modality>/<split>/<index, 6 digits>".
std::string scene_source_id(Modality modality, bool heldout, int64_t index);

// Images: a soft four-corner gradient around one named colour with 1 to 3 discs/boxes and maybe
// translucent stripes; e.g. "a red disc and a blue box on a green background with pink stripes".
absl::StatusOr<Captioned<ImageRecord>> make_image(const EmbeddedDatasetOptions& options,
                                                 bool heldout, int64_t index);
// Videos: one disc or box crossing a gradient background; e.g. "a yellow disc moving left on a
// blue background". Raw RGB8 frames.
absl::StatusOr<Captioned<VideoRecord>> make_video(const EmbeddedDatasetOptions& options,
                                                 bool heldout, int64_t index);
// Meshes: one small shaded box (cube, tall, flat or long), sphere or pyramid near the origin,
// through the mesh packer's renderer and voxeliser; e.g. "a tall red box".
absl::StatusOr<Captioned<MeshRecord>> make_mesh(const EmbeddedDatasetOptions& options, bool heldout,
                                               int64_t index);

}  // namespace tetra::data::embedded
