#include <gtest/gtest.h>

#include <cstdlib>

#include "data/data_test_support.h"
#include "data/media/image.h"

namespace tetra::data {
namespace {

using testing::EncodeJpeg;
using testing::EncodePng;
using testing::EncodeRgbPng;
using testing::PatternImage;
using testing::TempDir;

Image Decode(const std::vector<uint8_t>& bytes) {
  absl::StatusOr<Image> image = decode_image(bytes.data(), bytes.size(), "test");
  EXPECT_TRUE(image.ok()) << image.status();
  return image.ok() ? *image : Image{};
}

TEST(ImageCodec, DecodesRgb8PngExactly) {
  const Image source = PatternImage(13, 17, 1);
  const Image decoded = Decode(EncodeRgbPng(source));
  EXPECT_EQ(decoded.height, 13);
  EXPECT_EQ(decoded.width, 17);
  EXPECT_EQ(decoded.rgb, source.rgb);
}

TEST(ImageCodec, Scales16BitGrayPngTo8Bits) {
  const int h = 5, w = 7;
  std::vector<uint8_t> samples;  // big-endian 16-bit; v * 257 scales back to exactly v
  std::vector<uint8_t> expected;
  for (int i = 0; i < h * w; ++i) {
    const uint16_t v8 = static_cast<uint16_t>((i * 37) % 256);
    const uint16_t v16 = static_cast<uint16_t>(v8 * 257);
    samples.push_back(static_cast<uint8_t>(v16 >> 8));
    samples.push_back(static_cast<uint8_t>(v16 & 0xff));
    expected.insert(expected.end(), {static_cast<uint8_t>(v8), static_cast<uint8_t>(v8),
                                     static_cast<uint8_t>(v8)});
  }
  const Image decoded = Decode(EncodePng(samples, h, w, {PNG_COLOR_TYPE_GRAY, 16}));
  EXPECT_EQ(decoded.rgb, expected);
}

TEST(ImageCodec, ExpandsPalettePng) {
  const std::vector<png_color> palette = {{255, 0, 0}, {0, 255, 0}, {10, 20, 30}, {200, 100, 50}};
  const int h = 4, w = 6;
  std::vector<uint8_t> indices;
  std::vector<uint8_t> expected;
  for (int i = 0; i < h * w; ++i) {
    const png_color& c = palette[(i * 3) % palette.size()];
    indices.push_back(static_cast<uint8_t>((i * 3) % palette.size()));
    expected.insert(expected.end(), {c.red, c.green, c.blue});
  }
  testing::PngLayout layout{PNG_COLOR_TYPE_PALETTE, 8, palette};
  EXPECT_EQ(Decode(EncodePng(indices, h, w, layout)).rgb, expected);
  // A tRNS chunk makes libpng expand the palette to RGBA; the alpha must still be dropped.
  layout.palette_alpha = {0, 128, 255, 7};
  EXPECT_EQ(Decode(EncodePng(indices, h, w, layout)).rgb, expected);
}

TEST(ImageCodec, ExpandsOneBitGrayAndInterlacedPng) {
  // One row of 10 one-bit pixels, packed MSB first: 1011001110 -> 0xb3, 0x80.
  const std::vector<uint8_t> packed = {0xb3, 0x80};
  std::vector<uint8_t> expected;
  for (int bit : {1, 0, 1, 1, 0, 0, 1, 1, 1, 0}) expected.insert(expected.end(), 3, bit ? 255 : 0);
  EXPECT_EQ(Decode(EncodePng(packed, 1, 10, {PNG_COLOR_TYPE_GRAY, 1})).rgb, expected);

  const Image source = PatternImage(11, 13, 9);
  testing::PngLayout adam7;
  adam7.interlaced = true;
  EXPECT_EQ(Decode(EncodePng(source.rgb, 11, 13, adam7)).rgb, source.rgb);
}

TEST(ImageCodec, DropsAlphaFromRgbaAndGrayAlpha) {
  const Image source = PatternImage(6, 9, 2);
  std::vector<uint8_t> rgba, gray_alpha, gray_expected;
  for (size_t p = 0; p < source.rgb.size() / 3; ++p) {
    rgba.insert(rgba.end(), {source.rgb[p * 3], source.rgb[p * 3 + 1], source.rgb[p * 3 + 2],
                             static_cast<uint8_t>(p * 11)});
    gray_alpha.insert(gray_alpha.end(), {source.rgb[p * 3], static_cast<uint8_t>(p)});
    gray_expected.insert(gray_expected.end(), 3, source.rgb[p * 3]);
  }
  EXPECT_EQ(Decode(EncodePng(rgba, 6, 9, {PNG_COLOR_TYPE_RGBA, 8})).rgb, source.rgb);
  EXPECT_EQ(Decode(EncodePng(gray_alpha, 6, 9, {PNG_COLOR_TYPE_GRAY_ALPHA, 8})).rgb, gray_expected);
}

// A smooth image, which JPEG reproduces closely.
Image SmoothImage(int64_t h, int64_t w) {
  Image image{h, w, std::vector<uint8_t>(static_cast<size_t>(h * w * 3))};
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      uint8_t* p = &image.rgb[(y * w + x) * 3];
      p[0] = static_cast<uint8_t>(40 + 3 * x);
      p[1] = static_cast<uint8_t>(200 - 2 * y);
      p[2] = static_cast<uint8_t>(100 + x + y);
    }
  }
  return image;
}

void ExpectClose(const Image& a, const Image& b, double max_mean_error) {
  ASSERT_EQ(a.height, b.height);
  ASSERT_EQ(a.width, b.width);
  double total = 0;
  for (size_t i = 0; i < a.rgb.size(); ++i) total += std::abs(a.rgb[i] - b.rgb[i]);
  EXPECT_LT(total / a.rgb.size(), max_mean_error);
}

TEST(ImageCodec, DecodesColourJpegWithinTolerance) {
  const Image source = SmoothImage(24, 40);
  ExpectClose(Decode(EncodeJpeg(source, 95)), source, 3.0);
}

TEST(ImageCodec, DecodesGrayJpegToEqualChannels) {
  const Image source = SmoothImage(16, 16);
  const Image decoded = Decode(EncodeJpeg(source, 95, /*gray=*/true));
  ASSERT_EQ(decoded.rgb.size(), source.rgb.size());
  Image red_as_gray = source;
  for (size_t p = 0; p < decoded.rgb.size(); p += 3) {
    EXPECT_EQ(decoded.rgb[p], decoded.rgb[p + 1]);
    EXPECT_EQ(decoded.rgb[p], decoded.rgb[p + 2]);
    red_as_gray.rgb[p + 1] = red_as_gray.rgb[p + 2] = source.rgb[p];
  }
  ExpectClose(decoded, red_as_gray, 3.0);
}

TEST(ImageCodec, TruncatedFilesAreErrorsNamingTheFile) {
  std::vector<uint8_t> png = EncodeRgbPng(PatternImage(32, 32, 3));
  png.resize(png.size() / 2);
  absl::StatusOr<Image> bad_png = decode_image(png.data(), png.size(), "photos/cut.png");
  ASSERT_FALSE(bad_png.ok());
  EXPECT_NE(bad_png.status().message().find("photos/cut.png"), std::string::npos);
  EXPECT_NE(bad_png.status().message().find("PNG"), std::string::npos);

  std::vector<uint8_t> jpeg = EncodeJpeg(SmoothImage(32, 32), 90);
  jpeg.resize(jpeg.size() / 2);
  absl::StatusOr<Image> bad_jpeg = decode_image(jpeg.data(), jpeg.size(), "photos/cut.jpg");
  ASSERT_FALSE(bad_jpeg.ok());
  EXPECT_NE(bad_jpeg.status().message().find("photos/cut.jpg"), std::string::npos);
  EXPECT_NE(bad_jpeg.status().message().find("Premature end"), std::string::npos)
      << bad_jpeg.status();
}

TEST(ImageCodec, RejectsUnknownAndEmptyInput) {
  const std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  absl::StatusOr<Image> unknown = decode_image(text.data(), text.size(), "notes.png");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("neither a PNG nor a JPEG"), std::string::npos);
  absl::StatusOr<Image> empty = decode_image(nullptr, 0, "empty.png");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty.png: empty file"), std::string::npos);
}

TEST(ImageCodec, CorruptJpegBodyIsAnError) {
  std::vector<uint8_t> jpeg = EncodeJpeg(SmoothImage(32, 32), 90);
  // Keep the SOI marker so the JPEG decoder is chosen, then destroy the headers.
  for (size_t i = 4; i < jpeg.size(); ++i) jpeg[i] = static_cast<uint8_t>(i * 7);
  absl::StatusOr<Image> image = decode_image(jpeg.data(), jpeg.size(), "garbage.jpg");
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.status().message().find("garbage.jpg: cannot decode JPEG"), std::string::npos);
}

TEST(ImageCodec, WritePngThenReadImageFileRoundTrips) {
  TempDir dir;
  const Image source = PatternImage(9, 11, 4);
  ASSERT_TRUE(write_png(source, dir.Sub("out.png")).ok());
  absl::StatusOr<Image> read = read_image_file(dir.Sub("out.png"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->rgb, source.rgb);
  EXPECT_EQ(sniff_image_format(testing::ReadBytes(dir.Sub("out.png")).data(), 8),
            ImageFileFormat::kPng);
}

TEST(ImageCodec, ReadImageFileNamesAMissingFile) {
  TempDir dir;
  absl::StatusOr<Image> read = read_image_file(dir.Sub("nope.jpg"));
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find(dir.Sub("nope.jpg")), std::string::npos);
}

TEST(ImageCodec, WritePngRejectsInconsistentImage) {
  TempDir dir;
  Image bad{4, 4, std::vector<uint8_t>(10)};
  absl::Status status = write_png(bad, dir.Sub("bad.png"));
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
}

}  // namespace
}  // namespace tetra::data
