// SPEC section 1 resolution rules, torch-free: keep aspect ratio, resize only when a side is outside
// [min_side, max_side], then crop to multiples of `multiple` (random in training, centred at eval).
#pragma once
#include <cstdint>
#include <random>

#include "absl/status/status.h"
#include "data/image.h"

namespace tetra::data {

struct ResolutionRule {
  int64_t min_side = 64;
  int64_t max_side = 512;
  int64_t multiple = 16;  // the patch size
};

// rng == nullptr means evaluation: centred crop. Bilinear resampling.
Image ResizeAndCrop(const Image& image, const ResolutionRule& rule, std::mt19937_64* rng);

// What ResizeAndCrop assumes: 1 <= min_side <= max_side, 1 <= multiple <= max_side.
absl::Status ValidateResolutionRule(const ResolutionRule& rule);

// Bilinear resampling with half-pixel centres (PyTorch align_corners=false, no antialiasing).
Image ResizeBilinear(const Image& image, int64_t height, int64_t width);

}  // namespace tetra::data
