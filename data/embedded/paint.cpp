// The embedded dataset's images and video clips. The painting uses only operations IEEE arithmetic
// rounds exactly (+ - * /, sqrt, floor; no sin/exp), so the same options give the same bytes on
// every machine. Captions name exactly what is painted: palette colours (data/embedded/scenes.h),
// "disc", "box", "stripes", the background colour and, for clips, the direction of motion.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "data/embedded/scenes.h"
#include "data/util/rng_util.h"

namespace tetra::data::embedded {
namespace {

struct Colour {
  double c[3];
};

// Palette entry `index`, each channel moved by up to +-`jitter` (so no two samples share a colour
// exactly, yet each stays nearest its name).
Colour jittered(std::mt19937_64& rng, int index, double jitter) {
  Colour out;
  for (int c = 0; c < 3; ++c) {
    out.c[c] = std::clamp(kPalette[index].rgb[c] + uniform(rng, -jitter, jitter), 0.0, 255.0);
  }
  return out;
}

// A palette index other than `avoid` (-1: any).
int other_colour(std::mt19937_64& rng, int avoid) {
  const int pick = static_cast<int>(uniform_below(rng, avoid < 0 ? kPaletteSize : kPaletteSize - 1));
  return avoid >= 0 && pick >= avoid ? pick + 1 : pick;
}

// 0 below `edge - width`, 1 above `edge + width`, a smooth ramp between: soft shape edges.
double soft_step(double x, double edge, double width) {
  const double t = std::clamp((x - edge + width) / (2.0 * width), 0.0, 1.0);
  return t * t * (3.0 - 2.0 * t);
}

// An RGB canvas in doubles; shapes are blended onto it and it is rounded to bytes once at the end.
class Canvas {
 public:
  Canvas(int64_t height, int64_t width)
      : height_(height), width_(width), pixels_(static_cast<size_t>(height * width * 3)) {}

  // Bilinear blend of four corner colours.
  void paint_gradient(const Colour (&corner)[4]) {
    for (int64_t y = 0; y < height_; ++y) {
      const double v = height_ > 1 ? static_cast<double>(y) / (height_ - 1) : 0.0;
      for (int64_t x = 0; x < width_; ++x) {
        const double u = width_ > 1 ? static_cast<double>(x) / (width_ - 1) : 0.0;
        for (int c = 0; c < 3; ++c) {
          const double top = corner[0].c[c] * (1 - u) + corner[1].c[c] * u;
          const double bottom = corner[2].c[c] * (1 - u) + corner[3].c[c] * u;
          at(y, x)[c] = top * (1 - v) + bottom * v;
        }
      }
    }
  }

  // `coverage(x, y)` in [0, 1] says how much of `colour` lands on each pixel centre.
  template <typename Coverage>
  void blend(const Colour& colour, Coverage coverage) {
    for (int64_t y = 0; y < height_; ++y) {
      for (int64_t x = 0; x < width_; ++x) {
        const double a = coverage(x + 0.5, y + 0.5);
        if (a <= 0.0) continue;
        double* p = at(y, x);
        for (int c = 0; c < 3; ++c) p[c] = p[c] * (1 - a) + colour.c[c] * a;
      }
    }
  }

  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> out(pixels_.size());
    for (size_t i = 0; i < pixels_.size(); ++i) {
      out[i] = static_cast<uint8_t>(std::clamp(std::floor(pixels_[i] + 0.5), 0.0, 255.0));
    }
    return out;
  }

  int64_t height() const { return height_; }
  int64_t width() const { return width_; }

 private:
  double* at(int64_t y, int64_t x) { return &pixels_[static_cast<size_t>((y * width_ + x) * 3)]; }

  int64_t height_;
  int64_t width_;
  std::vector<double> pixels_;
};

// A disc (half_h unused: the radius is half_w) or an axis-aligned box, in pixels.
struct Shape {
  bool disc = true;
  int colour = 0;  // palette index
  Colour rgb{};
  double cx = 0, cy = 0, half_w = 0, half_h = 0, soft = 1;
  double area() const { return disc ? half_w * half_w * 3.14159 : 4 * half_w * half_h; }
  std::string phrase() const {
    return with_article(absl::StrCat(kPalette[colour].name, disc ? " disc" : " box"));
  }
};

void paint(Canvas& canvas, const Shape& s) {
  if (s.disc) {
    canvas.blend(s.rgb, [&s](double x, double y) {
      const double d = std::sqrt((x - s.cx) * (x - s.cx) + (y - s.cy) * (y - s.cy));
      return 1.0 - soft_step(d, s.half_w, s.soft);
    });
  } else {
    canvas.blend(s.rgb, [&s](double x, double y) {
      const double d = std::max(std::abs(x - s.cx) - s.half_w, std::abs(y - s.cy) - s.half_h);
      return 1.0 - soft_step(d, 0.0, s.soft);
    });
  }
}

// Size and colour of a disc or box on a height x width canvas; `scale` is its size range as a
// fraction of the side. The position is left to the caller.
Shape random_shape(std::mt19937_64& rng, int64_t height, int64_t width, int background,
                  double min_scale, double max_scale) {
  Shape s;
  s.disc = uniform_below(rng, 2) == 0;
  s.colour = other_colour(rng, background);
  s.rgb = jittered(rng, s.colour, 12);
  const double side = static_cast<double>(std::min(height, width));
  s.half_w = uniform(rng, min_scale, max_scale) * (s.disc ? side : static_cast<double>(width));
  s.half_h = uniform(rng, min_scale, max_scale) * static_cast<double>(height);
  s.soft = uniform(rng, 0.5, 2.0);
  return s;
}

// Translucent parallel bands along a random direction (a triangle wave, not sin: see file top).
void paint_stripes(Canvas& canvas, std::mt19937_64& rng, const Colour& colour) {
  double ux = uniform(rng, -1, 1), uy = uniform(rng, -1, 1);
  const double norm = std::max(1e-6, std::sqrt(ux * ux + uy * uy));
  ux /= norm;
  uy /= norm;
  const double period = uniform(rng, 6.0, 20.0);
  const double opacity = uniform(rng, 0.35, 0.6);
  canvas.blend(colour, [=](double x, double y) {
    const double phase = (x * ux + y * uy) / period;
    const double triangle = std::abs(phase - std::floor(phase) - 0.5) * 2.0;  // in [0, 1]
    return opacity * soft_step(triangle, 0.5, 0.15);
  });
}

// A gentle gradient around one named colour: its four corners jittered by up to +-28 per channel.
int paint_background(Canvas& canvas, std::mt19937_64& rng) {
  const int background = other_colour(rng, -1);
  const Colour corner[4] = {jittered(rng, background, 28), jittered(rng, background, 28),
                            jittered(rng, background, 28), jittered(rng, background, 28)};
  canvas.paint_gradient(corner);
  return background;
}

// "A", "A and B", "A, B and C".
std::string join_phrases(const std::vector<std::string>& phrases) {
  std::string out;
  for (size_t i = 0; i < phrases.size(); ++i) {
    if (i > 0) out += i + 1 == phrases.size() ? " and " : ", ";
    out += phrases[i];
  }
  return out;
}

}  // namespace

std::mt19937_64 sample_rng(const EmbeddedDatasetOptions& options, Modality modality, bool heldout,
                          int64_t index) {
  return std::mt19937_64(hash_seeds({options.seed, static_cast<uint64_t>(modality) + 1,
                                    heldout ? 2u : 1u, static_cast<uint64_t>(index)}));
}

std::string with_article(const std::string& words) {
  const bool vowel =
      !words.empty() && std::string_view("aeiou").find(words[0]) != std::string_view::npos;
  return absl::StrCat(vowel ? "an " : "a ", words);
}

std::string scene_source_id(Modality modality, bool heldout, int64_t index) {
  char id[64];
  std::snprintf(id, sizeof(id), "embedded/%s/%s/%06lld", modality_disk_name(modality),
                heldout ? "heldout" : "train", static_cast<long long>(index));
  return id;
}

absl::StatusOr<Captioned<ImageRecord>> make_image(const EmbeddedDatasetOptions& options,
                                                 bool heldout, int64_t index) {
  std::mt19937_64 rng = sample_rng(options, Modality::kImage, heldout, index);
  Canvas canvas(uniform_int(rng, options.min_side, options.max_side),
                uniform_int(rng, options.min_side, options.max_side));
  const int background = paint_background(canvas, rng);
  std::vector<Shape> shapes(static_cast<size_t>(uniform_int(rng, 1, 3)));
  for (Shape& s : shapes) {
    s = random_shape(rng, canvas.height(), canvas.width(), background, 0.1, 0.28);
    // Centres stay in the middle half, so every shape is mostly inside even after a training crop.
    s.cx = uniform(rng, 0.25, 0.75) * canvas.width();
    s.cy = uniform(rng, 0.25, 0.75) * canvas.height();
  }
  // Largest first: a later (smaller) shape can never hide an earlier one entirely, so every shape
  // the caption names stays visible.
  std::stable_sort(shapes.begin(), shapes.end(),
                   [](const Shape& a, const Shape& b) { return a.area() > b.area(); });
  std::vector<std::string> phrases;
  for (const Shape& s : shapes) {
    paint(canvas, s);
    phrases.push_back(s.phrase());
  }
  std::string caption = absl::StrCat(join_phrases(phrases), " on ",
                                     with_article(kPalette[background].name), " background");
  if (uniform_below(rng, 3) == 0) {
    const int stripes = other_colour(rng, background);
    paint_stripes(canvas, rng, jittered(rng, stripes, 12));
    absl::StrAppend(&caption, " with ", kPalette[stripes].name, " stripes");
  }
  return Captioned<ImageRecord>{
      {scene_source_id(Modality::kImage, heldout, index), ImageEncoding::kRawRgb8, canvas.height(),
       canvas.width(), canvas.bytes()},
      std::move(caption)};
}

absl::StatusOr<Captioned<VideoRecord>> make_video(const EmbeddedDatasetOptions& options,
                                                 bool heldout, int64_t index) {
  std::mt19937_64 rng = sample_rng(options, Modality::kVideo, heldout, index);
  // Sides are multiples of 16: the loader's crop to whole patches then cuts nothing.
  const int64_t lo = options.video_min_side / 16, hi = options.video_max_side / 16;
  const int64_t height = 16 * uniform_int(rng, lo, hi), width = 16 * uniform_int(rng, lo, hi);
  Canvas background(height, width);
  const int background_colour = paint_background(background, rng);
  Shape shape = random_shape(rng, height, width, background_colour, 0.12, 0.2);
  // The shape crosses from about 3/4 to 1/4 of the canvas (or back) along one axis over the clip.
  static constexpr const char* kDirections[4] = {"left", "right", "up", "down"};
  const int direction = static_cast<int>(uniform_below(rng, 4));
  const double from = uniform(rng, 0.68, 0.78), to = uniform(rng, 0.22, 0.32);
  const double across = uniform(rng, 0.3, 0.7);
  const bool horizontal = direction < 2;
  const bool decreasing = direction == 0 || direction == 2;  // left and up move towards 0
  const double start = decreasing ? from : to, end = decreasing ? to : from;
  Captioned<VideoRecord> out;
  VideoInfo& info = out.record.info;
  info.source_id = scene_source_id(Modality::kVideo, heldout, index);
  info.encoding = ImageEncoding::kRawRgb8;
  info.height = info.source_height = height;
  info.width = info.source_width = width;
  info.fps = info.source_fps = options.video_fps;
  for (int64_t k = 0; k < options.video_frames; ++k) {
    const double t =
        options.video_frames > 1 ? static_cast<double>(k) / (options.video_frames - 1) : 0;
    const double along = start + (end - start) * t;
    shape.cx = (horizontal ? along : across) * static_cast<double>(width);
    shape.cy = (horizontal ? across : along) * static_cast<double>(height);
    Canvas frame = background;
    paint(frame, shape);
    out.record.frames.push_back(frame.bytes());
  }
  out.caption = absl::StrCat(shape.phrase(), " moving ", kDirections[direction], " on ",
                             with_article(kPalette[background_colour].name), " background");
  return out;
}

}  // namespace tetra::data::embedded
