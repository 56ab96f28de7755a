// Which frames of a clip a training window takes (SPEC 1 video tiles, AToken's stride sampling).
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "data/loader/loader.h"

namespace tetra::data {

// `window.frames` cut to the largest multiple of `multiple` that the clip holds; a stride drawn
// uniformly in [min_stride, max_stride] (min_stride without rng) and shrunk until the window fits;
// a start drawn uniformly over the slack (centred without rng). Returns the source frame indices
// (empty when the clip is shorter than `multiple`).
std::vector<int64_t> choose_window(int64_t clip_frames, const VideoWindowOptions& window,
                                  int64_t multiple, std::mt19937_64* rng, int64_t* start,
                                  int64_t* stride);

}  // namespace tetra::data
