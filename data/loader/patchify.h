// Torch-free patchify (SPEC 1), the same layout as model::patchify: tokens in (t, row, column)
// order, each a (pt, ph, pw, c)-flattened patch scaled to [-1, 1]; images are zero-padded to pt
// frames; a mesh voxel's 768 features fill the frame-0 slot and the rest is zero.
#pragma once
#include <cstdint>
#include <vector>

#include "common/patch.h"
#include "data/shards/mesh_shard.h"

namespace tetra::data {

// The patch extent (c = 3 RGB values per pixel); the same type as model's tokens.
using common::PatchSize;

// Patches per axis; for a mesh h = w = 0 and `tokens` is its voxel count.
struct TokenGrid {
  int64_t t = 0;
  int64_t h = 0;
  int64_t w = 0;
  int64_t frames = 0;  // real frames (1 for an image); 0 for a mesh
  int64_t tokens = 0;
};

// The grid of `frames` frames of height x width (a multiple of the patch; frames 1 or a multiple
// of spec.t).
TokenGrid FrameGrid(int64_t frames, int64_t height, int64_t width, const PatchSize& spec);

// Appends the tokens of RGB8 frames [frames, height, width, 3]: spec.features() floats per token to
// `features` and (t, x, y, z) per token to `coords`.
void PatchifyFrames(const uint8_t* pixels, int64_t frames, int64_t height, int64_t width,
                    const PatchSize& spec, float* features, int32_t* coords);

// Appends one token per voxel: fp16 features in [0, 1] become x * 2 - 1 in the frame-0 slot;
// coords are (0, x, y, z). spec.h * spec.w * 3 must be 768.
void PatchifyVoxels(const MeshVoxels& voxels, const PatchSize& spec, float* features,
                    int32_t* coords);

}  // namespace tetra::data
