#include "data/loader/video_window.h"

#include <algorithm>

#include "data/util/rng_util.h"

namespace tetra::data {

std::vector<int64_t> choose_window(int64_t clip_frames, const VideoWindowOptions& window,
                                  int64_t multiple, std::mt19937_64* rng, int64_t* start,
                                  int64_t* stride) {
  const int64_t length = std::min(window.frames, (clip_frames / multiple) * multiple);
  int64_t s = rng != nullptr ? uniform_int(*rng, window.min_stride, window.max_stride)
                             : window.min_stride;
  if (length > 1) s = std::max<int64_t>(1, std::min(s, (clip_frames - 1) / (length - 1)));
  const int64_t span = (length - 1) * s + 1;
  const int64_t slack = clip_frames - span;
  *start = rng != nullptr ? uniform_int(*rng, 0, slack) : slack / 2;
  *stride = s;
  std::vector<int64_t> frames;
  for (int64_t k = 0; k < length; ++k) frames.push_back(*start + k * s);
  return frames;
}

}  // namespace tetra::data
