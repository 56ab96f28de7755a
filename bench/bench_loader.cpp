// Data loader throughput per modality (decode + resize/crop + patchify into packed 4D tokens) and
// mesh packer throughput. Everything is generated in a temporary folder first, so the numbers do
// not depend on downloads:
//   images   photo-like 1.25R x 1.25R JPEGs (q 90) loaded at max side R = 256 and 512
//   videos   clips of 48 JPEG frames (q 90) at R x 16/9 R, 16-frame windows, stride 1..3
//   meshes   mesh shards with 8000 voxels per asset (a typical Objaverse-scale object at 64^3)
//   packer   a 70k-triangle sphere (the size of glmark2's bunny): 16 views of 256^2 + voxelise
// Token counters are per wall second of the consumer; `threads` is the loader's decode threads.
// Results go to docs/benchmarks.md ("Data loader").
//
//   ./bench_loader --benchmark_min_time=3s
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "data/util/half.h"
#include "data/media/image_encode.h"
#include "data/loader/loader.h"
#include "data/shards/mesh_shard.h"
#include "data/pack/meshes.h"
#include "data/shards/image_shard.h"
#include "data/shards/video_shard.h"

namespace tetra::data {
namespace {

namespace fs = std::filesystem;

// Smooth colour fields plus sensor-like noise: compresses (and decodes) like a photo, unlike flat
// synthetic patterns.
Image PhotoLike(int64_t height, int64_t width, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 6.0f);
  const float fx = 0.01f + 0.02f * static_cast<float>(seed % 5), fy = 0.015f + 0.01f * (seed % 3);
  Image image{height, width, std::vector<uint8_t>(static_cast<size_t>(height * width * 3))};
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c) {
        const float v = 128 + 90 * std::sin(fx * x * (c + 1) + fy * y + seed) + noise(rng);
        image.rgb[(y * width + x) * 3 + c] = static_cast<uint8_t>(std::clamp(v, 0.0f, 255.0f));
      }
    }
  }
  return image;
}

// The generated data lives in one temporary folder, removed when the program exits.
struct ScratchRoot {
  fs::path path = fs::temp_directory_path() / ("tetra-bench-loader-" + std::to_string(::getpid()));
  ~ScratchRoot() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string Scratch(const std::string& name) {
  static ScratchRoot root;
  const fs::path dir = root.path / name;
  fs::create_directories(dir);
  return dir.string();
}

std::string ImageDataset(int64_t side) {
  static std::map<int64_t, std::string> made;
  if (made.count(side)) return made[side];
  const std::string dir = Scratch("images" + std::to_string(side));
  auto writer = ImageShardWriter::create(dir + "/shard-00000.h5");
  const int64_t source = side * 5 / 4;
  for (uint32_t i = 0; i < 48; ++i) {
    ImageRecord r{"img" + std::to_string(i), ImageEncoding::kJpeg, source, source,
                  *encode_jpeg_bytes(PhotoLike(source, source, i), 90)};
    (void)(*writer)->add(r);
  }
  (void)(*writer)->finish();
  return made[side] = dir;
}

std::string VideoDataset(int64_t side) {
  static std::map<int64_t, std::string> made;
  if (made.count(side)) return made[side];
  const std::string dir = Scratch("videos" + std::to_string(side));
  auto writer = VideoShardWriter::create(dir + "/shard-00000.h5");
  const int64_t width = side * 16 / 9 / 16 * 16;
  for (uint32_t clip = 0; clip < 6; ++clip) {
    VideoRecord r;
    r.info = {"clip" + std::to_string(clip), ImageEncoding::kJpeg, side, width, 8, 0, side, width, 8};
    const Image base = PhotoLike(side, width + 96, clip);
    for (int64_t k = 0; k < 48; ++k) {  // a panning shot: each frame shifted by 2 pixels
      Image frame{side, width, std::vector<uint8_t>(static_cast<size_t>(side * width * 3))};
      for (int64_t y = 0; y < side; ++y) {
        std::copy_n(&base.rgb[(y * (width + 96) + 2 * k) * 3], width * 3, &frame.rgb[y * width * 3]);
      }
      r.frames.push_back(*encode_jpeg_bytes(frame, 90));
    }
    (void)(*writer)->add(r);
  }
  (void)(*writer)->finish();
  return made[side] = dir;
}

std::string MeshDataset() {
  static std::string made;
  if (!made.empty()) return made;
  const std::string dir = Scratch("meshes");
  auto writer = MeshShardWriter::create(dir + "/shard-00000.h5");
  std::mt19937 rng(1);
  for (int asset = 0; asset < 16; ++asset) {
    MeshRecord r;
    r.info = {"asset" + std::to_string(asset), 0, 0, MeshColour::kShaded, 0, 0};
    for (int v = 0; v < 8000; ++v) {
      r.voxels.coords.insert(r.voxels.coords.end(), {uint8_t(v % 64), uint8_t(v / 64 % 64), uint8_t(v / 4096)});
    }
    for (int k = 0; k < 8000 * kVoxelFeatureWidth; ++k) {
      r.voxels.features.push_back(float_to_half(static_cast<float>(rng() % 256) / 255.0f));
    }
    r.views = {1, 16, std::vector<uint8_t>(16 * 16 * 3), std::vector<uint16_t>(16 * 16),
               std::vector<float>(16), std::vector<float>(9)};
    (void)(*writer)->add(r);
  }
  (void)(*writer)->finish();
  return made = dir;
}

// CPU seconds used by every thread of the process: "per core" rates divide by this, so they hold
// on a machine shared with other work, where wall-clock rates do not.
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

void RunLoader(benchmark::State& state, LoaderOptions o) {
  o.threads = state.range(1);
  o.prefetch = 16;
  o.shuffle_buffer = 16;
  o.max_tokens = 8192;
  absl::StatusOr<std::unique_ptr<Loader>> loader = Loader::create(o);
  if (!loader.ok()) {
    state.SkipWithError(std::string(loader.status().message()).c_str());
    return;
  }
  int64_t tokens = 0, samples = 0;
  (void)(*loader)->next();  // let the decode threads fill the prefetch queue outside the timing
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    absl::StatusOr<Batch> batch = (*loader)->next();
    if (!batch.ok()) {
      state.SkipWithError(std::string(batch.status().message()).c_str());
      return;
    }
    tokens += batch->num_tokens;
    samples += static_cast<int64_t>(batch->samples.size());
    benchmark::DoNotOptimize(batch->features.data());
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.counters["tokens/sample"] = static_cast<double>(tokens) / std::max<int64_t>(1, samples);
  const double cpu = ProcessCpuSeconds() - cpu_start;
  state.counters["tokens/cpu-s"] = static_cast<double>(tokens) / cpu;
  state.counters["samples/cpu-s"] = static_cast<double>(samples) / cpu;
}

void BM_LoaderImages(benchmark::State& state) {
  LoaderOptions o;
  o.path = ImageDataset(state.range(0));
  o.resolution = {64, state.range(0), 16};
  RunLoader(state, o);
}

void BM_LoaderVideos(benchmark::State& state) {
  LoaderOptions o;
  o.modality = Modality::kVideo;
  o.path = VideoDataset(state.range(0));
  o.resolution = {64, state.range(0) * 16 / 9, 16};
  o.window = {16, 1, 3};
  RunLoader(state, o);
}

void BM_LoaderMeshes(benchmark::State& state) {
  LoaderOptions o;
  o.modality = Modality::k3d;
  o.path = MeshDataset();
  RunLoader(state, o);
}

// A UV sphere of about `faces` triangles, written as OBJ.
std::string SphereObj(int64_t faces) {
  const std::string path = Scratch("packer") + "/sphere.obj";
  std::ofstream out(path);
  const int64_t rings = static_cast<int64_t>(std::sqrt(faces / 2.0)), segments = rings;
  for (int64_t i = 0; i <= rings; ++i) {
    const double theta = M_PI * i / rings;
    for (int64_t j = 0; j < segments; ++j) {
      const double phi = 2 * M_PI * j / segments;
      out << "v " << std::sin(theta) * std::cos(phi) << " " << std::cos(theta) << " "
          << std::sin(theta) * std::sin(phi) << "\n";
    }
  }
  for (int64_t i = 0; i < rings; ++i) {
    for (int64_t j = 0; j < segments; ++j) {
      const int64_t a = i * segments + j + 1, b = i * segments + (j + 1) % segments + 1;
      out << "f " << a << " " << b << " " << a + segments << "\nf " << b << " " << b + segments
          << " " << a + segments << "\n";
    }
  }
  return path;
}

void BM_MeshPacker(benchmark::State& state) {
  const std::string path = SphereObj(70000);
  PackMeshesOptions o;
  int64_t voxels = 0;
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    absl::StatusOr<MeshRecord> record = mesh_file_to_record(path, "sphere", o);
    if (!record.ok()) {
      state.SkipWithError(std::string(record.status().message()).c_str());
      return;
    }
    voxels = record->voxels.count();
  }
  state.counters["meshes/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
  state.counters["meshes/cpu-s"] =
      static_cast<double>(state.iterations()) / (ProcessCpuSeconds() - cpu_start);
  state.counters["voxels"] = static_cast<double>(voxels);
}

BENCHMARK(BM_LoaderImages)->ArgsProduct({{256, 512}, {1, 2}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoaderVideos)->ArgsProduct({{256, 512}, {1, 2}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoaderMeshes)->ArgsProduct({{0}, {1, 2}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MeshPacker)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tetra::data

// The loader runs inside tetra-train, which raises glibc's mmap/trim thresholds to 256 MiB
// (trainer/process_env.cpp): without that every multi-megabyte token buffer is a fresh mmap and
// its page faults dominate. Measure under the same allocator settings.
int main(int argc, char** argv) {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
