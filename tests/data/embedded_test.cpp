// The embedded dataset (images, clips and meshes with captions and hashed text embeddings) and the
// hashed bag-of-words text encoder behind it.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "data/data_test_support.h"
#include "data/embedded/embedded.h"
#include "data/embedded/scenes.h"
#include "data/embedded/hashed_text_encoder.h"
#include "data/loader/loader.h"
#include "data/shards/image_shard.h"
#include "data/shards/video_shard.h"

namespace tetra::data {
namespace {

namespace fs = std::filesystem;
using testing::ReadBytes;
using testing::TempDir;

constexpr Modality kModalities[] = {Modality::kImage, Modality::kVideo, Modality::k3d};

EmbeddedDatasetOptions SmallOptions() {
  EmbeddedDatasetOptions options;
  options.num_train = 20;
  options.num_heldout = 5;
  options.min_side = 16;
  options.max_side = 40;
  options.video_train = 10;
  options.video_heldout = 3;
  options.video_frames = 16;
  options.mesh_train = 12;
  options.mesh_heldout = 3;
  options.mesh_views = 4;
  options.shard_size = 8;
  options.text_width = 32;
  options.seed = 7;
  return options;
}

std::vector<ImageRecord> ReadImages(const std::string& dir) {
  std::vector<ImageRecord> records;
  absl::StatusOr<std::vector<std::string>> shards = list_shards(dir);
  EXPECT_TRUE(shards.ok()) << shards.status();
  if (!shards.ok()) return records;
  for (const std::string& path : *shards) {
    auto reader = ImageShardReader::open(path);
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) continue;
    for (int64_t i = 0; i < (*reader)->size(); ++i) records.push_back(*(*reader)->read(i));
  }
  return records;
}

// Every sample of one split through the real loader, in order, unpatchified (pixels/voxels kept).
std::vector<Sample> LoadAll(const std::string& dir, Modality modality, int64_t count,
                            LoaderOptions o = {}) {
  o.modality = modality;
  o.path = dir;
  o.shuffle = false;
  o.train = false;
  o.patchify = false;
  o.max_samples = 4;
  std::vector<Sample> samples;
  absl::StatusOr<std::unique_ptr<Loader>> loader = Loader::create(o);
  EXPECT_TRUE(loader.ok()) << loader.status();
  if (!loader.ok()) return samples;
  while (static_cast<int64_t>(samples.size()) < count) {
    absl::StatusOr<Batch> batch = (*loader)->next();
    EXPECT_TRUE(batch.ok()) << batch.status();
    if (!batch.ok()) break;
    for (Sample& s : batch->samples) samples.push_back(std::move(s));
  }
  samples.resize(static_cast<size_t>(count));
  return samples;
}

double Norm(const std::vector<float>& v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  return std::sqrt(sum);
}

// The palette colour nearest to an RGB value.
std::string NearestColour(const uint8_t* rgb) {
  int best = 0;
  double best_d = 1e30;
  for (int k = 0; k < embedded::kPaletteSize; ++k) {
    double d = 0;
    for (int c = 0; c < 3; ++c) d += std::pow(rgb[c] - embedded::kPalette[k].rgb[c], 2);
    if (d < best_d) best_d = d, best = k;
  }
  return embedded::kPalette[best].name;
}

std::multiset<std::string> WordBag(const std::string& text) {
  const std::vector<std::string> words = HashedTextEncoder::words(text);
  return {words.begin(), words.end()};
}

bool Mentions(const std::string& caption, const std::string& word) {
  const std::vector<std::string> words = HashedTextEncoder::words(caption);
  return std::find(words.begin(), words.end(), word) != words.end();
}

// ------------------------------------------------------------------- hashed text encoder ---

TEST(EmbeddedHashedText, SameWordsSameEmbeddingOtherWordsDiffer) {
  HashedTextEncoder encoder(64);
  EXPECT_EQ(encoder.name(), "hashed-bow-64");
  EXPECT_EQ(encoder.width(), 64);
  const std::vector<float> a = encoder.encode_one("A red disc on a blue background.");
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NEAR(Norm(a), 1.0, 1e-6);
  // Case, punctuation and spacing do not matter; the words do.
  EXPECT_EQ(a, encoder.encode_one("a RED disc, on a blue   background"));
  const std::vector<float> b = encoder.encode_one("a blue disc on a red background");
  EXPECT_EQ(a, b) << "a bag of words ignores order (documented limit)";
  const std::vector<float> c = encoder.encode_one("a green disc on a blue background");
  EXPECT_NE(a, c);
  double dot = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += a[i] * c[i];
  EXPECT_LT(dot, 0.95) << "one word in six changed";
  EXPECT_GT(dot, 0.5) << "five shared words keep the texts close";
  // No words: a zero row. UTF-8 bytes stay inside words.
  EXPECT_EQ(Norm(encoder.encode_one(" ,.; ")), 0.0);
  EXPECT_EQ(HashedTextEncoder::words("Größe x2-ray"), (std::vector<std::string>{"gr\xc3\xb6\xc3\x9f"
                                                                                "e",
                                                                                "x2", "ray"}));
}

TEST(EmbeddedHashedText, BytesArePinned) {
  // Only exactly rounded operations: these values must not change on any IEEE machine or build.
  const std::vector<float> v = HashedTextEncoder(4).encode_one("red");
  EXPECT_EQ(v, (std::vector<float>{0.57541126f, 0.59269011f, -0.44184417f, -0.34984863f}));
}

TEST(EmbeddedHashedText, SpecsParse) {
  absl::StatusOr<std::unique_ptr<TextEncoder>> e = make_hashed_text_encoder("hashed:32");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ((*e)->width(), 32);
  EXPECT_EQ((*make_hashed_text_encoder("hashed"))->width(), 64);
  EXPECT_TRUE(is_hashed_text_encoder_spec("hashed:8"));
  EXPECT_FALSE(is_hashed_text_encoder_spec("encoders/hashed.pt"));
  for (const char* bad : {"hashed:0", "hashed:x", "hashed:", "hashed:-3"}) {
    absl::StatusOr<std::unique_ptr<TextEncoder>> r = make_hashed_text_encoder(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status();
  }
}

// ------------------------------------------------------------------------------- dataset ---

TEST(Embedded, SameOptionsGiveIdenticalBytes) {
  TempDir a, b;
  EmbeddedDatasetOptions options = SmallOptions();
  ASSERT_TRUE(ensure_embedded_dataset(a.path(), options).ok());
  options.threads = 1;  // the thread count must not matter
  ASSERT_TRUE(ensure_embedded_dataset(b.path(), options).ok());
  int files = 0;
  for (Modality m : kModalities) {
    for (bool heldout : {false, true}) {
      const std::string da = embedded_split_dir(a.path(), m, heldout);
      const std::string db = embedded_split_dir(b.path(), m, heldout);
      absl::StatusOr<std::vector<std::string>> sa = list_shards(da), sb = list_shards(db);
      ASSERT_TRUE(sa.ok() && sb.ok()) << da;
      ASSERT_EQ(sa->size(), sb->size()) << da;
      for (size_t i = 0; i < sa->size(); ++i, ++files) {
        EXPECT_EQ(ReadBytes((*sa)[i]), ReadBytes((*sb)[i])) << (*sa)[i];
      }
    }
  }
  // 20 + 5 images, 10 + 3 clips, 12 + 3 meshes in shards of 8.
  EXPECT_EQ(files, 3 + 1 + 2 + 1 + 2 + 1);
  EXPECT_EQ(embedded_split_dir("/d", Modality::kVideo, true), "/d/video/heldout");
}

TEST(Embedded, ImagesAreVariedRawRgbWithinTheSizeRange) {
  TempDir dir;
  ASSERT_TRUE(ensure_embedded_dataset(dir.path(), SmallOptions()).ok());
  const std::vector<ImageRecord> train = ReadImages(dir.Sub("image/train"));
  const std::vector<ImageRecord> heldout = ReadImages(dir.Sub("image/heldout"));
  ASSERT_EQ(train.size(), 20u);
  ASSERT_EQ(heldout.size(), 5u);
  std::set<int64_t> heights;
  for (const ImageRecord& r : train) {
    EXPECT_EQ(r.encoding, ImageEncoding::kRawRgb8);
    EXPECT_GE(std::min(r.height, r.width), 16);
    EXPECT_LE(std::max(r.height, r.width), 40);
    heights.insert(r.height);
    EXPECT_NE(std::count(r.bytes.begin(), r.bytes.end(), r.bytes[0]),
              static_cast<long>(r.bytes.size()));
  }
  EXPECT_GT(heights.size(), 3u);
  EXPECT_EQ(train[3].source_id, "embedded/image/train/000003");
  EXPECT_NE(train[0].bytes, train[1].bytes);
  EXPECT_NE(heldout[0].bytes, train[0].bytes) << "held-out images must not repeat train images";
}

TEST(Embedded, EveryModalityLoadsWithCaptionsAndEmbeddings) {
  TempDir dir;
  const EmbeddedDatasetOptions options = SmallOptions();
  ASSERT_TRUE(ensure_embedded_dataset(dir.path(), options).ok());
  HashedTextEncoder encoder(options.text_width);
  const std::map<Modality, int64_t> counts = {
      {Modality::kImage, 20}, {Modality::kVideo, 10}, {Modality::k3d, 12}};
  std::map<std::string, std::vector<float>> by_caption;
  for (Modality m : kModalities) {
    const std::vector<Sample> samples =
        LoadAll(embedded_split_dir(dir.path(), m, false), m, counts.at(m));
    std::set<std::string> captions;
    for (const Sample& s : samples) {
      SCOPED_TRACE(s.label + " '" + s.caption + "'");
      EXPECT_EQ(s.modality, m);
      ASSERT_FALSE(s.caption.empty());
      ASSERT_EQ(s.text_embedding.size(), static_cast<size_t>(options.text_width));
      EXPECT_NEAR(Norm(s.text_embedding), 1.0, 2e-3);  // stored as fp16
      // The stored row is the encoder's output for the caption, to fp16 precision.
      const std::vector<float> expected = encoder.encode_one(s.caption);
      for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_NEAR(s.text_embedding[i], expected[i], 1e-3);
      }
      // Same caption, same embedding; different bags of words, different embeddings.
      for (const auto& [caption, embedding] : by_caption) {
        if (caption == s.caption) {
          EXPECT_EQ(embedding, s.text_embedding);
        } else if (WordBag(caption) != WordBag(s.caption)) {
          EXPECT_NE(embedding, s.text_embedding) << caption;
        }
      }
      by_caption[s.caption] = s.text_embedding;
      captions.insert(s.caption);
      if (m == Modality::kVideo) {
        EXPECT_EQ(s.frames, 16);
        EXPECT_EQ(s.height % 16, 0);
        EXPECT_TRUE(Mentions(s.caption, "moving"));
      }
      if (m == Modality::k3d) {
        EXPECT_GE(s.voxels.count(), 30) << "too few voxels to show a shape";
        EXPECT_LE(s.voxels.count(), 500) << "a CPU smoke run cannot afford more tokens";
      }
    }
    EXPECT_GT(captions.size(), counts.at(m) / 3) << modality_disk_name(m) << ": captions must vary";
  }
}

// What the captions say is what the pixels show: checked on colours and motion.
TEST(Embedded, CaptionsNameTheVisibleColoursAndMotion) {
  TempDir dir;
  ASSERT_TRUE(ensure_embedded_dataset(dir.path(), SmallOptions()).ok());
  // Images (uncropped, from the shards): every colour the caption names covers 1% of the pixels.
  const std::vector<Sample> images = LoadAll(dir.Sub("image/train"), Modality::kImage, 20);
  const std::vector<ImageRecord> records = ReadImages(dir.Sub("image/train"));
  ASSERT_EQ(records.size(), images.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const ImageRecord& r = records[i];
    const std::string& caption = images[i].caption;
    ASSERT_EQ(images[i].source_id, r.source_id);
    if (Mentions(caption, "stripes")) continue;  // translucent bands mix the colours
    std::map<std::string, int64_t> area;
    for (size_t p = 0; p < r.bytes.size(); p += 3) ++area[NearestColour(&r.bytes[p])];
    for (int k = 0; k < embedded::kPaletteSize; ++k) {
      const std::string name = embedded::kPalette[k].name;
      if (Mentions(caption, name)) {
        EXPECT_GT(area[name] * 100, r.height * r.width) << caption << ": " << name;
      }
    }
  }
  // Clips: the shape's colour moves the named way between the first and the last frame.
  for (const Sample& s : LoadAll(dir.Sub("video/train"), Modality::kVideo, 10)) {
    std::string colour;
    for (int k = 0; k < embedded::kPaletteSize; ++k) {
      // The first colour named is the shape's ("a <colour> disc moving ...").
      const std::string name = embedded::kPalette[k].name;
      const size_t at = s.caption.find(" " + name + " ");
      if (at != std::string::npos && at < s.caption.find("moving")) colour = name;
    }
    ASSERT_FALSE(colour.empty()) << s.caption;
    auto centroid = [&](int64_t frame) {
      double x = 0, y = 0, n = 0;
      for (int64_t r = 0; r < s.height; ++r) {
        for (int64_t c = 0; c < s.width; ++c) {
          const uint8_t* p = &s.pixels[((frame * s.height + r) * s.width + c) * 3];
          if (NearestColour(p) == colour) x += c, y += r, ++n;
        }
      }
      EXPECT_GT(n, 0) << s.caption;
      return std::pair<double, double>{x / n, y / n};
    };
    const auto [x0, y0] = centroid(0);
    const auto [x1, y1] = centroid(s.frames - 1);
    const std::map<std::string, std::pair<double, double>> step = {
        {"left", {-1, 0}}, {"right", {1, 0}}, {"up", {0, -1}}, {"down", {0, 1}}};
    for (const auto& [word, d] : step) {
      if (!Mentions(s.caption, word)) continue;
      EXPECT_GT((x1 - x0) * d.first + (y1 - y0) * d.second, 0.25 * std::min(s.height, s.width))
          << s.caption;
    }
  }
  // Meshes: the brightest rendered pixels (faces seen head-on) have the caption's colour.
  const std::vector<Sample> meshes = LoadAll(dir.Sub("mesh/train"), Modality::k3d, 12);
  const absl::StatusOr<std::vector<std::string>> mesh_shards = list_shards(dir.Sub("mesh/train"));
  ASSERT_TRUE(mesh_shards.ok()) << mesh_shards.status();
  for (const std::string& path : *mesh_shards) {
    auto reader = MeshShardReader::open(path);
    ASSERT_TRUE(reader.ok()) << reader.status();
    for (int64_t i = 0; i < (*reader)->size(); ++i) {
      absl::StatusOr<MeshViews> views = (*reader)->read_views(i);
      ASSERT_TRUE(views.ok()) << views.status();
      std::vector<std::pair<int, size_t>> lit;  // (brightness, offset) of object pixels
      for (size_t p = 0; p < views->rgb.size(); p += 3) {
        const int sum = views->rgb[p] + views->rgb[p + 1] + views->rgb[p + 2];
        if (sum > 0) lit.push_back({sum, p});
      }
      ASSERT_GT(lit.size(), 100u) << "the object must fill a fair part of the views";
      std::sort(lit.rbegin(), lit.rend());
      const std::string colour = NearestColour(&views->rgb[lit[lit.size() / 20].second]);
      const std::string id = (*reader)->info(i).source_id;
      const auto it = std::find_if(meshes.begin(), meshes.end(),
                                   [&](const Sample& s) { return s.source_id == id; });
      ASSERT_NE(it, meshes.end()) << id;
      EXPECT_TRUE(Mentions(it->caption, colour)) << it->caption << " looks " << colour;
    }
  }
}

TEST(Embedded, ReadyFileIsRespectedAndOptionChangesRebuild) {
  TempDir dir;
  EmbeddedDatasetOptions options = SmallOptions();
  ASSERT_TRUE(ensure_embedded_dataset(dir.path(), options).ok());
  ASSERT_TRUE(fs::exists(dir.Sub("READY")));
  const auto written = fs::last_write_time(dir.Sub("mesh/train/shard-00000.h5"));
  // A marker inside a split survives only if the second call leaves the folder alone.
  testing::WriteBytes(dir.Sub("video/train/marker"), {1});
  options.threads = 3;  // not part of READY: the bytes do not depend on it
  ASSERT_TRUE(ensure_embedded_dataset(dir.path(), options).ok());
  EXPECT_TRUE(fs::exists(dir.Sub("video/train/marker")));
  EXPECT_EQ(fs::last_write_time(dir.Sub("mesh/train/shard-00000.h5")), written);

  options.mesh_train = 9;
  ASSERT_TRUE(ensure_embedded_dataset(dir.path(), options).ok());
  EXPECT_FALSE(fs::exists(dir.Sub("video/train/marker")));
  const std::vector<uint8_t> ready = ReadBytes(dir.Sub("READY"));
  const std::string text(ready.begin(), ready.end());
  for (const char* line : {"mesh_train=9\n", "num_train=20\n", "video_frames=16\n",
                           "text_encoder=hashed-bow-32\n", "seed=7\n", "mesh_views=4\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
  }
}

TEST(Embedded, TheImageOnlyLayoutIsReplaced) {
  TempDir dir;
  testing::WriteBytes(dir.Sub("READY"),
                      {'t', 'e', 't', 'r', 'a', ' ', 'e', 'm', 'b', 'e',  'd', 'd', 'e',
                       'd', ' ', 'd', 'a', 't', 'a', 's', 'e', 't', '\n', 'x', '\n'});
  fs::create_directories(dir.Sub("train"));
  fs::create_directories(dir.Sub("heldout"));
  ASSERT_TRUE(ensure_embedded_dataset(dir.path(), SmallOptions()).ok());
  EXPECT_FALSE(fs::exists(dir.Sub("train")));
  EXPECT_FALSE(fs::exists(dir.Sub("heldout")));
  EXPECT_TRUE(fs::exists(dir.Sub("image/train/shard-00000.h5")));
}

TEST(Embedded, DefaultDatasetIsQuickToBuildAndSmallInTokens) {
  TempDir dir;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(ensure_embedded_dataset(dir.path(), EmbeddedDatasetOptions{}).ok());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 30.0) << "the smoke run builds this dataset on first use";
  std::cout << "[ INFO ] default embedded dataset built in " << seconds << " s\n";
  // Tokens per sample at the loader's default settings (ResolutionRule 64..512, 16-frame windows).
  const std::map<Modality, std::pair<int64_t, int64_t>> counts = {
      {Modality::kImage, {512, 64}}, {Modality::kVideo, {128, 32}}, {Modality::k3d, {128, 32}}};
  for (Modality m : kModalities) {
    LoaderOptions o;
    o.modality = m;
    o.path = embedded_split_dir(dir.path(), m, false);
    o.shuffle = false;
    auto loader = Loader::create(o);
    ASSERT_TRUE(loader.ok()) << loader.status();
    EXPECT_EQ((*loader)->total_samples(), counts.at(m).first);
    int64_t n = 0, tokens = 0, lo = 1 << 30, hi = 0;
    while (n < counts.at(m).first) {
      absl::StatusOr<Batch> b = (*loader)->next();
      ASSERT_TRUE(b.ok()) << b.status();
      for (size_t i = 0; i + 1 < b->cu_seqlens.size(); ++i, ++n) {
        const int64_t t = b->cu_seqlens[i + 1] - b->cu_seqlens[i];
        tokens += t, lo = std::min(lo, t), hi = std::max(hi, t);
      }
    }
    std::cout << "[ INFO ] " << modality_disk_name(m) << ": tokens per sample min " << lo << " mean "
              << static_cast<double>(tokens) / n << " max " << hi << "\n";
  }
}

TEST(Embedded, PythonReadsVideoAndMeshCaptions) {
  const char* python = std::getenv("TETRA_PYTHON");
  const char* source = std::getenv("TETRA_SOURCE_DIR");
  if (python == nullptr || *python == '\0' || source == nullptr) {
    GTEST_SKIP() << "TETRA_PYTHON/TETRA_SOURCE_DIR unset (ctest sets them)";
  }
  TempDir dir;
  ASSERT_TRUE(ensure_embedded_dataset(dir.path(), SmallOptions()).ok());
  for (const char* split : {"video/heldout", "mesh/heldout"}) {
    const std::string out = dir.Sub("summary.json");
    const std::string command = std::string(python) + " " + source + "/tests/data/read_shard.py " +
                                dir.Sub(split) + "/shard-00000.h5 > " + out;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    std::ifstream in(out);
    const nlohmann::json s = nlohmann::json::parse(in, nullptr, false);
    ASSERT_FALSE(s.is_discarded()) << split;
    const std::vector<Sample> samples =
        LoadAll(dir.Sub(split), split[0] == 'v' ? Modality::kVideo : Modality::k3d, 3);
    ASSERT_EQ(s["text"]["captions"].size(), 3u) << split;
    EXPECT_EQ(s["text"]["embedding_dtype"], "float16");
    EXPECT_EQ(s["text"]["embedding_width"], 32);
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(s["text"]["captions"][i], samples[i].caption);
  }
}

TEST(Embedded, InvalidOptionsAreRejected) {
  TempDir dir;
  EmbeddedDatasetOptions options = SmallOptions();
  options.max_side = 8;
  absl::Status status = ensure_embedded_dataset(dir.path(), options);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("max_side=8"), std::string::npos);
  options = SmallOptions();
  options.video_max_side = 40;
  status = ensure_embedded_dataset(dir.path(), options);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("video_max_side=40"), std::string::npos) << status;
  EXPECT_FALSE(fs::exists(dir.Sub("READY")));
}

}  // namespace
}  // namespace tetra::data
