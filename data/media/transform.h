// SPEC section 1 resolution rules, torch-free: keep aspect ratio, resize only when a side is outside
// [min_side, max_side], then crop to multiples of `multiple` (random in training, centred at eval).
#pragma once
#include <cstdint>
#include <random>
#include <utility>

#include "absl/status/status.h"
#include "data/media/image.h"

namespace tetra::data {

struct ResolutionRule {
  int64_t min_side = 64;
  int64_t max_side = 512;
  int64_t multiple = 16;  // the patch size
};

// rng == nullptr means evaluation: centred crop. Bilinear resampling.
Image resize_and_crop(const Image& image, const ResolutionRule& rule, std::mt19937_64* rng);
// The same with the rule's scale multiplied by `downscale` in (0, 1] (random down-scaling in
// training); sides never drop below one `multiple`.
Image resize_and_crop(const Image& image, const ResolutionRule& rule, std::mt19937_64* rng,
                    double downscale);

// The size (height, width) the rule resizes an image to, before cropping.
std::pair<int64_t, int64_t> resized_shape(int64_t height, int64_t width, const ResolutionRule& rule);

// What resize_and_crop assumes: 1 <= min_side <= max_side, 1 <= multiple <= max_side.
absl::Status validate_resolution_rule(const ResolutionRule& rule);

// Bilinear resampling with half-pixel centres (PyTorch align_corners=false, no antialiasing).
Image resize_bilinear(const Image& image, int64_t height, int64_t width);

}  // namespace tetra::data
