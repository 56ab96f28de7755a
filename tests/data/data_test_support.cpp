#include "data/data_test_support.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

// jpeglib.h uses FILE and size_t without including their headers.
#include <jpeglib.h>

namespace tetra::data::testing {

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "tetra-data-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << pattern;
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Image PatternImage(int64_t height, int64_t width, uint32_t seed) {
  Image image{height, width, std::vector<uint8_t>(static_cast<size_t>(height * width * 3))};
  std::mt19937 rng(seed);
  const int a = static_cast<int>(rng() % 7) + 1, b = static_cast<int>(rng() % 5) + 1;
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x = 0; x < width; ++x) {
      uint8_t* p = &image.rgb[(y * width + x) * 3];
      p[0] = static_cast<uint8_t>((x * a + seed) & 0xff);
      p[1] = static_cast<uint8_t>((y * b + seed * 3) & 0xff);
      p[2] = static_cast<uint8_t>(((x + y) * (a + b)) & 0xff);
    }
  }
  return image;
}

namespace {

void AppendToVector(png_structp png, png_bytep data, size_t n) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}

int Channels(int color_type) {
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY:
    case PNG_COLOR_TYPE_PALETTE:
      return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      return 2;
    case PNG_COLOR_TYPE_RGB:
      return 3;
    default:
      return 4;
  }
}

}  // namespace

std::vector<uint8_t> EncodePng(const std::vector<uint8_t>& samples, int height, int width,
                               const PngLayout& layout) {
  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  const size_t row_bits = static_cast<size_t>(width) * Channels(layout.color_type) * layout.bit_depth;
  const size_t row_bytes = (row_bits + 7) / 8;
  std::vector<png_bytep> rows(height);
  for (int y = 0; y < height; ++y) rows[y] = const_cast<png_bytep>(&samples[y * row_bytes]);
  if (setjmp(png_jmpbuf(png))) {
    ADD_FAILURE() << "libpng failed to encode the test image";
    png_destroy_write_struct(&png, &info);
    return {};
  }
  png_set_write_fn(png, &out, AppendToVector, nullptr);
  png_set_IHDR(png, info, width, height, layout.bit_depth, layout.color_type,
               layout.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!layout.palette.empty()) {
    png_set_PLTE(png, info, layout.palette.data(), static_cast<int>(layout.palette.size()));
  }
  if (!layout.palette_alpha.empty()) {
    png_set_tRNS(png, info, layout.palette_alpha.data(),
                 static_cast<int>(layout.palette_alpha.size()), nullptr);
  }
  png_write_info(png, info);
  if (layout.interlaced) png_set_interlace_handling(png);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

std::vector<uint8_t> EncodeRgbPng(const Image& image) {
  return EncodePng(image.rgb, static_cast<int>(image.height), static_cast<int>(image.width),
                   PngLayout{});
}

std::vector<uint8_t> EncodeJpeg(const Image& image, int quality, bool gray) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr error;
  cinfo.err = jpeg_std_error(&error);  // test inputs are valid; libjpeg's default exit is fine
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = gray ? 1 : 3;
  cinfo.in_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<uint8_t> row(static_cast<size_t>(image.width) * 3);
  while (cinfo.next_scanline < cinfo.image_height) {
    const uint8_t* src = &image.rgb[cinfo.next_scanline * image.width * 3];
    if (gray) {
      for (int64_t x = 0; x < image.width; ++x) row[x] = src[x * 3];
    } else {
      std::copy(src, src + image.width * 3, row.begin());
    }
    JSAMPROW pointer = row.data();
    jpeg_write_scanlines(&cinfo, &pointer, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::vector<uint8_t> out(buffer, buffer + size);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return out;
}

void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) ADD_FAILURE() << "cannot write " << path;
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ADD_FAILURE() << "cannot read " << path;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

ImageRecord RawRecord(const std::string& source_id, const Image& image) {
  return {source_id, ImageEncoding::kRawRgb8, image.height, image.width, image.rgb};
}

ImageRecord PngRecord(const std::string& source_id, const Image& image) {
  return {source_id, ImageEncoding::kPng, image.height, image.width, EncodeRgbPng(image)};
}

void WriteShard(const std::string& path, const std::vector<ImageRecord>& records) {
  auto writer = ImageShardWriter::create(path);
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (const ImageRecord& record : records) {
    ASSERT_TRUE((*writer)->add(record).ok()) << record.source_id;
  }
  absl::Status finished = (*writer)->finish();
  ASSERT_TRUE(finished.ok()) << finished;
}

uint64_t Fnv1a64(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace tetra::data::testing
