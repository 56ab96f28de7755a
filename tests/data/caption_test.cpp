// Caption manifests and `pack captions` with a stand-in encoder (the real TorchScript encoder runs
// in tests/integration/pack_media.sh, where the exported all-MiniLM-L6-v2 is compared with Python).
#include <gtest/gtest.h>

#include <filesystem>

#include "data/pack/caption_manifest.h"
#include "data/data_test_support.h"
#include "data/util/half.h"
#include "data/loader/loader.h"
#include "data/pack/captions.h"

namespace tetra::data {
namespace {

using testing::TempDir;

void WriteText(const std::string& path, const std::string& text) {
  testing::WriteBytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

// Embedding of a text: (length, first byte, 0.5 + count of 'a'), deterministic and distinct.
class CountingEncoder : public TextEncoder {
 public:
  absl::StatusOr<std::vector<float>> encode(const std::vector<std::string>& texts) override {
    ++calls;
    std::vector<float> out;
    for (const std::string& t : texts) {
      out.push_back(static_cast<float>(t.size()));
      out.push_back(static_cast<float>(static_cast<unsigned char>(t[0])));
      out.push_back(0.5f + static_cast<float>(std::count(t.begin(), t.end(), 'a')));
    }
    return out;
  }
  int64_t width() const override { return 3; }
  std::string name() const override { return "counting"; }
  int calls = 0;
};

TEST(CaptionManifest, ReadsQuotedCsvAndJsonLines) {
  TempDir dir;
  WriteText(dir.Sub("m.csv"),
            "caption,path\r\n\"Say \"\"hi\"\", twice\",a.png\n\"two\nlines\",sub/b.png\n\nplain,c.png\n");
  absl::StatusOr<std::vector<CaptionEntry>> csv = read_caption_manifest(dir.Sub("m.csv"));
  ASSERT_TRUE(csv.ok()) << csv.status();
  ASSERT_EQ(csv->size(), 3u);
  EXPECT_EQ((*csv)[0].path, "a.png");
  EXPECT_EQ((*csv)[0].caption, "Say \"hi\", twice");
  EXPECT_EQ((*csv)[1].caption, "two\nlines");
  EXPECT_EQ((*csv)[2].path, "c.png");

  WriteText(dir.Sub("m.jsonl"), "{\"path\": \"a.png\", \"caption\": \"caf\\u00e9\"}\n\n"
                                "{\"caption\": \"x\", \"path\": \"b.png\"}\n");
  absl::StatusOr<std::vector<CaptionEntry>> jsonl = read_caption_manifest(dir.Sub("m.jsonl"));
  ASSERT_TRUE(jsonl.ok()) << jsonl.status();
  ASSERT_EQ(jsonl->size(), 2u);
  EXPECT_EQ((*jsonl)[0].caption, "caf\xc3\xa9");

  WriteText(dir.Sub("bad.jsonl"), "{\"path\": \"a.png\"}\n");
  absl::StatusOr<std::vector<CaptionEntry>> bad = read_caption_manifest(dir.Sub("bad.jsonl"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.jsonl:1"), std::string::npos) << bad.status();
  WriteText(dir.Sub("bad.csv"), "path,caption\na.png,\"open\n");
  absl::StatusOr<std::vector<CaptionEntry>> unterminated = read_caption_manifest(dir.Sub("bad.csv"));
  EXPECT_FALSE(unterminated.ok());
  EXPECT_EQ(unterminated.status().code(), absl::StatusCode::kInvalidArgument) << unterminated.status();
  WriteText(dir.Sub("nohead.csv"), "file,text\na,b\n");
  absl::StatusOr<std::vector<CaptionEntry>> no_header = read_caption_manifest(dir.Sub("nohead.csv"));
  EXPECT_FALSE(no_header.ok());
  EXPECT_EQ(no_header.status().code(), absl::StatusCode::kInvalidArgument) << no_header.status();
}

TEST(PackCaptions, AttachesCaptionsAndEmbeddingsTheLoaderReturns) {
  TempDir dir;
  std::filesystem::create_directories(dir.Sub("shards"));
  testing::WriteShard(dir.Sub("shards/shard-00000.h5"),
                      {testing::RawRecord("a.png", testing::PatternImage(16, 16, 1)),
                       testing::RawRecord("sub/b.png", testing::PatternImage(16, 32, 2)),
                       testing::RawRecord("c.png", testing::PatternImage(32, 16, 3))});
  WriteText(dir.Sub("m.csv"), "path,caption\na.png,a banana\nsub/b.png,Bee\nghost.png,nobody\n");
  CountingEncoder encoder;
  PackCaptionsOptions options{dir.Sub("m.csv"), dir.Sub("shards"), 1};
  absl::StatusOr<CaptionReport> report = pack_captions(options, &encoder);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->captioned, 2);
  EXPECT_EQ(report->samples, 3);
  EXPECT_EQ(report->embedding_width, 3);
  EXPECT_EQ(report->unmatched, std::vector<std::string>{"ghost.png"});
  EXPECT_EQ(encoder.calls, 2) << "batch 1: one call per caption, none for c.png";
  // Running again replaces the captions instead of failing or duplicating them.
  ASSERT_TRUE(pack_captions(options, &encoder).ok());

  LoaderOptions lo;
  lo.path = dir.Sub("shards");
  lo.shuffle = false;
  lo.resolution = {16, 64, 16};
  lo.max_tokens = 100;
  lo.max_samples = 3;
  absl::StatusOr<std::unique_ptr<Loader>> loader = Loader::create(lo);
  ASSERT_TRUE(loader.ok()) << loader.status();
  absl::StatusOr<Batch> batch = (*loader)->next();
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->samples.size(), 3u);
  const Sample& a = batch->samples[0];
  EXPECT_EQ(a.caption, "a banana");
  EXPECT_EQ(a.text_embedding, (std::vector<float>{8, 'a', 4.5f}));
  EXPECT_EQ(batch->samples[1].caption, "Bee");
  EXPECT_EQ(batch->samples[1].text_embedding, (std::vector<float>{3, 'B', 0.5f}));
  EXPECT_EQ(batch->samples[2].caption, "");
  EXPECT_EQ(batch->samples[2].text_embedding, (std::vector<float>{0, 0, 0}));
}

TEST(PackCaptions, CaptionsWithoutAnEncoderAndClearErrors) {
  TempDir dir;
  std::filesystem::create_directories(dir.Sub("shards"));
  testing::WriteShard(dir.Sub("shards/shard-00000.h5"),
                      {testing::RawRecord("a.png", testing::PatternImage(16, 16, 1))});
  WriteText(dir.Sub("m.jsonl"), "{\"path\": \"a.png\", \"caption\": \"only text\"}\n");
  absl::StatusOr<CaptionReport> report =
      pack_captions({dir.Sub("m.jsonl"), dir.Sub("shards"), 8}, nullptr);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->captioned, 1);
  EXPECT_EQ(report->embedding_width, 0);
  absl::StatusOr<CaptionReport> no_shards =
      pack_captions({dir.Sub("m.jsonl"), dir.Sub("none"), 8}, nullptr);
  EXPECT_FALSE(no_shards.ok());
  EXPECT_EQ(no_shards.status().code(), absl::StatusCode::kNotFound) << no_shards.status();
  absl::StatusOr<CaptionReport> no_manifest =
      pack_captions({dir.Sub("missing.csv"), dir.Sub("shards"), 8}, nullptr);
  EXPECT_FALSE(no_manifest.ok());
  EXPECT_EQ(no_manifest.status().code(), absl::StatusCode::kNotFound) << no_manifest.status();
}

TEST(Half, RoundTripsAndRoundsToNearestEven) {
  for (float v : {0.0f, 1.0f, -2.5f, 0.333251953125f, 65504.0f, 6.103515625e-05f, 5.960464477539063e-08f}) {
    EXPECT_EQ(half_to_float(float_to_half(v)), v) << v;
  }
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048), float_to_half(1.0f)) << "a tie rounds to even";
  EXPECT_EQ(float_to_half(1.0f + 3.0f / 2048), 0x3c02) << "a tie rounds to even (up)";
  EXPECT_EQ(float_to_half(70000.0f), 0x7c00) << "overflow is infinity";
  EXPECT_EQ(float_to_half(2.0e-8f), 0) << "below half the smallest subnormal";
}

}  // namespace
}  // namespace tetra::data
