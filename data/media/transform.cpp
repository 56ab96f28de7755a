#include "data/media/transform.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "data/util/rng_util.h"

namespace tetra::data {
namespace {

struct Size {
  int64_t height = 0;
  int64_t width = 0;
};

// A rectangle of the resized image: only these output pixels are ever computed.
struct Window {
  int64_t top = 0;
  int64_t left = 0;
  int64_t height = 0;
  int64_t width = 0;
};

// One output coordinate's two source taps and the weight of the second, as PyTorch computes them
// for align_corners=false: src = (dst + 0.5) * in / out - 0.5, clamped at 0.
struct Tap {
  int64_t i0 = 0;
  int64_t i1 = 0;
  float w1 = 0.0f;
};

std::vector<Tap> compute_taps(int64_t in_size, int64_t out_size, int64_t first, int64_t count) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  std::vector<Tap> taps(count);
  for (int64_t k = 0; k < count; ++k) {
    const double src = std::max(0.0, (static_cast<double>(first + k) + 0.5) * scale - 0.5);
    Tap& tap = taps[k];
    tap.i0 = std::min(static_cast<int64_t>(src), in_size - 1);
    tap.i1 = std::min(tap.i0 + 1, in_size - 1);
    tap.w1 = static_cast<float>(src - static_cast<double>(tap.i0));
  }
  return taps;
}

uint8_t to_byte(float v) {
  return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
}

// Pixels `window` of `image` bilinearly resized to `size`.
Image resample_window(const Image& image, Size size, const Window& window) {
  Image out;
  out.height = window.height;
  out.width = window.width;
  out.rgb.resize(static_cast<size_t>(window.height * window.width * 3));
  const std::vector<Tap> rows = compute_taps(image.height, size.height, window.top, window.height);
  const std::vector<Tap> cols = compute_taps(image.width, size.width, window.left, window.width);
  const int64_t stride = image.width * 3;
  uint8_t* dst = out.rgb.data();
  for (const Tap& ry : rows) {
    const uint8_t* row0 = image.rgb.data() + ry.i0 * stride;
    const uint8_t* row1 = image.rgb.data() + ry.i1 * stride;
    const float wy1 = ry.w1;
    const float wy0 = 1.0f - wy1;
    for (const Tap& cx : cols) {
      const float wx1 = cx.w1;
      const float wx0 = 1.0f - wx1;
      for (int64_t c = 0; c < 3; ++c) {
        const float top = wx0 * row0[cx.i0 * 3 + c] + wx1 * row0[cx.i1 * 3 + c];
        const float bottom = wx0 * row1[cx.i0 * 3 + c] + wx1 * row1[cx.i1 * 3 + c];
        *dst++ = to_byte(wy0 * top + wy1 * bottom);
      }
    }
  }
  return out;
}

Image copy_window(const Image& image, const Window& window) {
  Image out;
  out.height = window.height;
  out.width = window.width;
  out.rgb.resize(static_cast<size_t>(window.height * window.width * 3));
  for (int64_t y = 0; y < window.height; ++y) {
    const uint8_t* src = image.rgb.data() + ((window.top + y) * image.width + window.left) * 3;
    std::copy(src, src + window.width * 3, out.rgb.data() + y * window.width * 3);
  }
  return out;
}

// SPEC: keep the aspect ratio and resize only when a side is outside [min_side, max_side]; the
// max rule wins a conflict. Each side must then still hold one `multiple`, or nothing can be cropped.
Size resized_size(Size in, const ResolutionRule& rule, double downscale = 1.0) {
  const double shorter = static_cast<double>(std::min(in.height, in.width));
  const double longer = static_cast<double>(std::max(in.height, in.width));
  double scale = 1.0;
  if (shorter < static_cast<double>(rule.min_side)) scale = rule.min_side / shorter;
  if (longer * scale > static_cast<double>(rule.max_side)) scale = rule.max_side / longer;
  scale *= downscale;
  if (shorter * scale < static_cast<double>(rule.multiple)) scale = rule.multiple / shorter;
  if (scale == 1.0) return in;
  return {std::max<int64_t>(1, std::llround(in.height * scale)),
          std::max<int64_t>(1, std::llround(in.width * scale))};
}

// The largest multiple of `multiple` that fits the side and, for extreme aspect ratios where the
// multiple rule pushed the long side past max_side, also fits max_side.
int64_t crop_length(int64_t side, const ResolutionRule& rule) {
  const int64_t cap = std::max(rule.multiple, (rule.max_side / rule.multiple) * rule.multiple);
  return std::min((side / rule.multiple) * rule.multiple, cap);
}

int64_t crop_offset(int64_t slack, std::mt19937_64* rng) {
  if (rng == nullptr) return slack / 2;
  return static_cast<int64_t>(uniform_below(*rng, static_cast<uint64_t>(slack) + 1));
}

// resize_and_crop has no error channel; a bad rule is made usable rather than crashing mid-run.
// The stream validates its rule up front, so this only guards direct callers.
ResolutionRule sanitize(ResolutionRule rule) {
  rule.multiple = std::max<int64_t>(1, rule.multiple);
  rule.min_side = std::max<int64_t>(1, rule.min_side);
  rule.max_side = std::max({rule.max_side, rule.min_side, rule.multiple});
  return rule;
}

}  // namespace

absl::Status validate_resolution_rule(const ResolutionRule& rule) {
  if (rule.min_side < 1 || rule.max_side < rule.min_side) {
    return absl::InvalidArgumentError(
        absl::StrCat("resolution rule: need 1 <= min_side <= max_side, got min_side=",
                     rule.min_side, " max_side=", rule.max_side));
  }
  if (rule.multiple < 1 || rule.multiple > rule.max_side) {
    return absl::InvalidArgumentError(
        absl::StrCat("resolution rule: need 1 <= multiple <= max_side, got multiple=",
                     rule.multiple, " max_side=", rule.max_side));
  }
  return absl::OkStatus();
}

Image resize_bilinear(const Image& image, int64_t height, int64_t width) {
  const Window all{0, 0, height, width};
  if (height == image.height && width == image.width) return copy_window(image, all);
  return resample_window(image, {height, width}, all);
}

std::pair<int64_t, int64_t> resized_shape(int64_t height, int64_t width,
                                         const ResolutionRule& rule) {
  const Size size = resized_size({height, width}, sanitize(rule));
  return {size.height, size.width};
}

Image resize_and_crop(const Image& image, const ResolutionRule& raw_rule, std::mt19937_64* rng) {
  return resize_and_crop(image, raw_rule, rng, 1.0);
}

Image resize_and_crop(const Image& image, const ResolutionRule& raw_rule, std::mt19937_64* rng,
                    double downscale) {
  if (image.height <= 0 || image.width <= 0) return Image{};
  const ResolutionRule rule = sanitize(raw_rule);
  const Size in{image.height, image.width};
  const Size size = resized_size(in, rule, std::clamp(downscale, 1e-6, 1.0));
  Window window;
  window.height = crop_length(size.height, rule);
  window.width = crop_length(size.width, rule);
  window.top = crop_offset(size.height - window.height, rng);
  window.left = crop_offset(size.width - window.width, rng);
  if (size.height == in.height && size.width == in.width) return copy_window(image, window);
  return resample_window(image, size, window);
}

}  // namespace tetra::data
