// PNG (libpng) and JPEG (libjpeg-turbo) to RGB8. Both libraries report fatal errors by longjmp; each
// decode keeps all of its state in one heap object created before setjmp, so a jump out of the
// library skips no destructor and leaves no local in an indeterminate state.
#include <csetjmp>
#include <cstddef>
#include <cstdio>  // before jpeglib.h, which uses FILE and size_t without including them
#include <cstring>
#include <memory>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#include "absl/strings/str_cat.h"
#include "data/media/image.h"
#include "data/media/image_encode.h"
#include "data/util/io_util.h"

namespace tetra::data {
namespace {

// Refuse absurd headers before allocating: a corrupt size field must not become a 100 GB buffer.
constexpr uint64_t kMaxPixels = uint64_t{1} << 28;

absl::Status decode_error(absl::string_view name, absl::string_view format, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(name, ": cannot decode ", format, ": ", why));
}

// ---------------------------------------------------------------------------------------- PNG ---

struct PngDecodeJob {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
  char message[256] = "unknown libpng error";
  png_structp png = nullptr;
  png_infop info = nullptr;
  Image image;
  std::vector<png_bytep> rows;
  ~PngDecodeJob() { png_destroy_read_struct(&png, &info, nullptr); }
};

void PngError(png_structp png, png_const_charp message) {
  auto* job = static_cast<PngDecodeJob*>(png_get_error_ptr(png));
  std::snprintf(job->message, sizeof(job->message), "%s", message);
  png_longjmp(png, 1);
}

// Warnings (odd ancillary chunks, colour-profile notes) leave the pixels intact: stay quiet.
void PngWarning(png_structp, png_const_charp) {}

void PngReadFromMemory(png_structp png, png_bytep out, size_t n) {
  auto* job = static_cast<PngDecodeJob*>(png_get_io_ptr(png));
  if (job->size - job->pos < n) png_error(png, "unexpected end of data (truncated file?)");
  std::memcpy(out, job->data + job->pos, n);
  job->pos += n;
}

// Asks libpng for RGB8 whatever the stored layout: palette/low-bit gray expanded, 16 bit scaled
// (not truncated) to 8, alpha dropped, gray replicated to three channels.
void request_rgb8(png_structp png, png_infop info) {
  const int color_type = png_get_color_type(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (bit_depth == 16) png_set_scale_16(png);
  // Expanding a palette also turns a tRNS chunk into an alpha channel, which must go as well.
  if ((color_type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) {
    png_set_strip_alpha(png);
  }
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
    png_set_gray_to_rgb(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
}

// Runs under the setjmp of DecodePng; only trivially destructible locals here.
void read_png_pixels(PngDecodeJob* job) {
  png_set_read_fn(job->png, job, PngReadFromMemory);
  png_read_info(job->png, job->info);
  const png_uint_32 width = png_get_image_width(job->png, job->info);
  const png_uint_32 height = png_get_image_height(job->png, job->info);
  if (uint64_t{width} * height > kMaxPixels) png_error(job->png, "implausibly large image");
  request_rgb8(job->png, job->info);
  if (png_get_rowbytes(job->png, job->info) != size_t{width} * 3) {
    png_error(job->png, "unexpected row layout after conversion to RGB8");
  }
  job->image.height = height;
  job->image.width = width;
  job->image.rgb.resize(size_t{height} * width * 3);
  job->rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) job->rows[y] = &job->image.rgb[size_t{y} * width * 3];
  png_read_image(job->png, job->rows.data());
}

absl::StatusOr<Image> decode_png(const uint8_t* bytes, size_t size, absl::string_view name) {
  auto job = std::make_unique<PngDecodeJob>();
  job->data = bytes;
  job->size = size;
  job->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job.get(), PngError, PngWarning);
  if (job->png != nullptr) job->info = png_create_info_struct(job->png);
  if (job->png == nullptr || job->info == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(name, ": cannot allocate a PNG decoder"));
  }
  if (setjmp(png_jmpbuf(job->png))) return decode_error(name, "PNG", job->message);
  read_png_pixels(job.get());
  return std::move(job->image);
}

// --------------------------------------------------------------------------------------- JPEG ---

struct JpegDecodeJob {
  jpeg_decompress_struct cinfo{};
  jpeg_error_mgr error{};
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = "unknown libjpeg error";
  Image image;
  ~JpegDecodeJob() { jpeg_destroy_decompress(&cinfo); }  // safe on a never-created struct
};

[[noreturn]] void JpegFail(j_common_ptr cinfo) {
  auto* job = static_cast<JpegDecodeJob*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, job->message);
  std::longjmp(job->jump, 1);
}

// libjpeg only warns on a truncated file and pads the image with grey; that must be an error here.
// Other warnings (e.g. stray bytes before a marker) leave decodable images and are tolerated
// silently, like most image libraries do.
void JpegEmitMessage(j_common_ptr cinfo, int level) {
  if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) JpegFail(cinfo);
}

// Runs under the setjmp of DecodeJpeg; only trivially destructible locals here.
void read_jpeg_pixels(JpegDecodeJob* job, const uint8_t* bytes, size_t size) {
  jpeg_decompress_struct* cinfo = &job->cinfo;
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, bytes, static_cast<unsigned long>(size));
  jpeg_read_header(cinfo, TRUE);
  if (uint64_t{cinfo->image_width} * cinfo->image_height > kMaxPixels) {
    std::snprintf(job->message, sizeof(job->message), "implausibly large image");
    std::longjmp(job->jump, 1);
  }
  cinfo->out_color_space = JCS_RGB;  // gray and YCbCr both convert; CMYK is refused by libjpeg
  jpeg_start_decompress(cinfo);
  const size_t row_bytes = size_t{cinfo->output_width} * 3;
  job->image.height = cinfo->output_height;
  job->image.width = cinfo->output_width;
  job->image.rgb.resize(row_bytes * cinfo->output_height);
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = &job->image.rgb[row_bytes * cinfo->output_scanline];
    jpeg_read_scanlines(cinfo, &row, 1);
  }
  // No jpeg_finish_decompress: every pixel is in, and a missing EOI marker after complete data
  // should not discard the image.
}

absl::StatusOr<Image> decode_jpeg(const uint8_t* bytes, size_t size, absl::string_view name) {
  auto job = std::make_unique<JpegDecodeJob>();
  job->cinfo.err = jpeg_std_error(&job->error);
  job->cinfo.client_data = job.get();  // jpeg_create_decompress keeps err and client_data
  job->error.error_exit = JpegFail;
  job->error.emit_message = JpegEmitMessage;
  if (setjmp(job->jump)) return decode_error(name, "JPEG", job->message);
  read_jpeg_pixels(job.get(), bytes, size);
  return std::move(job->image);
}

}  // namespace

ImageFileFormat sniff_image_format(const uint8_t* bytes, size_t size) {
  static constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= 8 && std::memcmp(bytes, kPngSignature, 8) == 0) return ImageFileFormat::kPng;
  if (size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) {
    return ImageFileFormat::kJpeg;
  }
  return ImageFileFormat::kUnknown;
}

absl::StatusOr<Image> decode_image(const uint8_t* bytes, size_t size, std::string_view label) {
  const absl::string_view name(label.data(), label.size());
  switch (sniff_image_format(bytes, size)) {
    case ImageFileFormat::kPng:
      return decode_png(bytes, size, name);
    case ImageFileFormat::kJpeg:
      return decode_jpeg(bytes, size, name);
    case ImageFileFormat::kUnknown:
      break;
  }
  if (size == 0) return absl::InvalidArgumentError(absl::StrCat(name, ": empty file"));
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": neither a PNG nor a JPEG (unrecognised signature); only PNG and JPEG "
                         "images are supported"));
}

absl::StatusOr<Image> read_image_file(const std::string& path) {
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.status();
  return decode_image(bytes->data(), bytes->size(), path);
}

absl::Status write_png(const Image& image, const std::string& path) {
  absl::StatusOr<std::vector<uint8_t>> png = encode_png_bytes(image);
  if (!png.ok()) {
    return absl::Status(png.status().code(),
                        absl::StrCat("cannot write PNG '", path, "': ", png.status().message()));
  }
  return WriteFileAtomically(path, std::string_view(reinterpret_cast<const char*>(png->data()),
                                                     png->size()));
}

}  // namespace tetra::data
