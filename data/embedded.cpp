// The embedded dataset: procedural images written as ordinary raw-RGB8 shards. Image i of a split
// depends only on (seed, split, i), and the painting uses only operations IEEE arithmetic rounds
// exactly (+ - * /, sqrt, floor; no sin/exp), so the same options give the same bytes everywhere.
#include "data/embedded.h"

#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "data/io_util.h"
#include "data/rng_util.h"
#include "data/shard_sequence.h"

namespace tetra::data {
namespace {

namespace fs = std::filesystem;

struct Colour {
  double c[3];
};

Colour RandomColour(std::mt19937_64& rng) {
  return {{255.0 * UniformUnit(rng), 255.0 * UniformUnit(rng), 255.0 * UniformUnit(rng)}};
}

double Uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * UniformUnit(rng);
}

// 0 below `edge - width`, 1 above `edge + width`, a smooth ramp between: soft shape edges.
double SoftStep(double x, double edge, double width) {
  const double t = std::clamp((x - edge + width) / (2.0 * width), 0.0, 1.0);
  return t * t * (3.0 - 2.0 * t);
}

// An RGB canvas in doubles; shapes are blended onto it and it is rounded to bytes once at the end.
class Canvas {
 public:
  Canvas(int64_t height, int64_t width)
      : height_(height), width_(width), pixels_(static_cast<size_t>(height * width * 3)) {}

  // Bilinear blend of four random corner colours.
  void PaintGradient(std::mt19937_64& rng) {
    const Colour corner[4] = {RandomColour(rng), RandomColour(rng), RandomColour(rng),
                              RandomColour(rng)};
    for (int64_t y = 0; y < height_; ++y) {
      const double v = height_ > 1 ? static_cast<double>(y) / (height_ - 1) : 0.0;
      for (int64_t x = 0; x < width_; ++x) {
        const double u = width_ > 1 ? static_cast<double>(x) / (width_ - 1) : 0.0;
        for (int c = 0; c < 3; ++c) {
          const double top = corner[0].c[c] * (1 - u) + corner[1].c[c] * u;
          const double bottom = corner[2].c[c] * (1 - u) + corner[3].c[c] * u;
          At(y, x)[c] = top * (1 - v) + bottom * v;
        }
      }
    }
  }

  // `coverage(x, y)` in [0, 1] says how much of `colour` lands on each pixel centre.
  template <typename Coverage>
  void Blend(const Colour& colour, Coverage coverage) {
    for (int64_t y = 0; y < height_; ++y) {
      for (int64_t x = 0; x < width_; ++x) {
        const double a = coverage(x + 0.5, y + 0.5);
        if (a <= 0.0) continue;
        double* p = At(y, x);
        for (int c = 0; c < 3; ++c) p[c] = p[c] * (1 - a) + colour.c[c] * a;
      }
    }
  }

  std::vector<uint8_t> Bytes() const {
    std::vector<uint8_t> out(pixels_.size());
    for (size_t i = 0; i < pixels_.size(); ++i) {
      out[i] = static_cast<uint8_t>(std::clamp(std::floor(pixels_[i] + 0.5), 0.0, 255.0));
    }
    return out;
  }

  int64_t height() const { return height_; }
  int64_t width() const { return width_; }

 private:
  double* At(int64_t y, int64_t x) { return &pixels_[static_cast<size_t>((y * width_ + x) * 3)]; }

  int64_t height_;
  int64_t width_;
  std::vector<double> pixels_;
};

void PaintDisc(Canvas& canvas, std::mt19937_64& rng) {
  const double side = static_cast<double>(std::min(canvas.height(), canvas.width()));
  const double cx = Uniform(rng, 0, canvas.width()), cy = Uniform(rng, 0, canvas.height());
  const double radius = Uniform(rng, 0.1, 0.35) * side;
  const double soft = Uniform(rng, 0.5, 3.0);
  canvas.Blend(RandomColour(rng), [=](double x, double y) {
    const double d = std::sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy));
    return 1.0 - SoftStep(d, radius, soft);
  });
}

void PaintBox(Canvas& canvas, std::mt19937_64& rng) {
  const double cx = Uniform(rng, 0, canvas.width()), cy = Uniform(rng, 0, canvas.height());
  const double half_w = Uniform(rng, 0.08, 0.3) * canvas.width();
  const double half_h = Uniform(rng, 0.08, 0.3) * canvas.height();
  const double soft = Uniform(rng, 0.5, 3.0);
  canvas.Blend(RandomColour(rng), [=](double x, double y) {
    const double d = std::max(std::abs(x - cx) - half_w, std::abs(y - cy) - half_h);
    return 1.0 - SoftStep(d, 0.0, soft);
  });
}

// Translucent parallel bands along a random direction (a triangle wave, not sin: see file top).
void PaintStripes(Canvas& canvas, std::mt19937_64& rng) {
  double ux = Uniform(rng, -1, 1), uy = Uniform(rng, -1, 1);
  const double norm = std::max(1e-6, std::sqrt(ux * ux + uy * uy));
  ux /= norm;
  uy /= norm;
  const double period = Uniform(rng, 6.0, 20.0);
  const double opacity = Uniform(rng, 0.3, 0.7);
  canvas.Blend(RandomColour(rng), [=](double x, double y) {
    const double phase = (x * ux + y * uy) / period;
    const double triangle = std::abs(phase - std::floor(phase) - 0.5) * 2.0;  // in [0, 1]
    return opacity * SoftStep(triangle, 0.5, 0.15);
  });
}

ImageRecord MakeImage(const EmbeddedDatasetOptions& options, uint64_t split_tag,
                      const std::string& split, int64_t index) {
  std::mt19937_64 rng(HashSeeds({options.seed, split_tag, static_cast<uint64_t>(index)}));
  Canvas canvas(UniformInt(rng, options.min_side, options.max_side),
                UniformInt(rng, options.min_side, options.max_side));
  canvas.PaintGradient(rng);
  const int64_t shapes = UniformInt(rng, 2, 5);
  for (int64_t s = 0; s < shapes; ++s) {
    switch (UniformBelow(rng, 3)) {
      case 0:
        PaintDisc(canvas, rng);
        break;
      case 1:
        PaintBox(canvas, rng);
        break;
      default:
        PaintStripes(canvas, rng);
        break;
    }
  }
  char id[64];
  std::snprintf(id, sizeof(id), "embedded/%s/%06lld", split.c_str(), static_cast<long long>(index));
  return {id, ImageEncoding::kRawRgb8, canvas.height(), canvas.width(), canvas.Bytes()};
}

absl::Status WriteSplit(const EmbeddedDatasetOptions& options, const std::string& dir,
                        const std::string& split, uint64_t split_tag, int64_t count) {
  const std::string split_dir = (fs::path(dir) / split).string();
  std::error_code ec;
  fs::remove_all(split_dir, ec);  // left over from other options or an interrupted run
  fs::create_directories(split_dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("embedded dataset: cannot create '", split_dir, "': ", ec.message()));
  }
  ShardSequence shards(split_dir, options.shard_size);
  for (int64_t i = 0; i < count; ++i) {
    if (absl::Status s = shards.Add(MakeImage(options, split_tag, split, i)); !s.ok()) return s;
  }
  return shards.Close();
}

absl::Status CheckOptions(const EmbeddedDatasetOptions& o) {
  if (o.num_train < 1 || o.num_heldout < 1 || o.min_side < 1 || o.max_side < o.min_side ||
      o.shard_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "embedded dataset: need num_train, num_heldout, shard_size >= 1 and 1 <= min_side <= "
        "max_side; got num_train=", o.num_train, " num_heldout=", o.num_heldout, " min_side=",
        o.min_side, " max_side=", o.max_side, " shard_size=", o.shard_size));
  }
  return absl::OkStatus();
}

// READY's whole content: the dataset is reused only when every option matches.
std::string ReadyText(const EmbeddedDatasetOptions& o) {
  return absl::StrCat("tetra embedded dataset\nshard_format_version=", kShardFormatVersion,
                      "\nnum_train=", o.num_train, "\nnum_heldout=", o.num_heldout,
                      "\nmin_side=", o.min_side, "\nmax_side=", o.max_side,
                      "\nshard_size=", o.shard_size, "\nseed=", o.seed, "\n");
}

bool ReadyMatches(const std::string& ready_path, const std::string& expected) {
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadFileBytes(ready_path);
  return bytes.ok() && std::string(bytes->begin(), bytes->end()) == expected;
}

// Several local ranks may ask for the same folder at once; the first builds it, the rest wait on
// the lock and then find READY. Released when the descriptor closes.
class FolderLock {
 public:
  explicit FolderLock(const std::string& path)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~FolderLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

}  // namespace

absl::Status EnsureEmbeddedDataset(const std::string& dir, const EmbeddedDatasetOptions& options) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("embedded dataset: cannot create folder '", dir, "': ", ec.message()));
  }
  const std::string lock_path = (fs::path(dir) / ".lock").string();
  FolderLock lock(lock_path);
  if (!lock.ok()) {
    return absl::PermissionDeniedError(absl::StrCat("embedded dataset: cannot lock '", lock_path,
                                                    "': ", std::strerror(errno)));
  }
  const std::string ready_path = (fs::path(dir) / "READY").string();
  const std::string ready = ReadyText(options);
  if (ReadyMatches(ready_path, ready)) return absl::OkStatus();
  fs::remove(ready_path, ec);  // stale options: the shards are about to change
  if (absl::Status s = WriteSplit(options, dir, "train", 1, options.num_train); !s.ok()) return s;
  if (absl::Status s = WriteSplit(options, dir, "heldout", 2, options.num_heldout); !s.ok()) {
    return s;
  }
  return WriteFileAtomically(ready_path, ready);
}

}  // namespace tetra::data
