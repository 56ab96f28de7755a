// Both libraries report fatal errors by longjmp; as in image_codec.cpp every encode keeps its state
// in one heap object created before setjmp, so a jump skips no destructor.
#include "data/media/image_encode.h"

#include <csetjmp>
#include <cstdio>  // before jpeglib.h, which uses FILE without including it
#include <cstdlib>
#include <memory>

#include <jpeglib.h>
#include <png.h>

#include "absl/strings/str_cat.h"

namespace tetra::data {
namespace {

absl::Status check_image(const Image& image, const char* format) {
  if (image.height <= 0 || image.width <= 0 ||
      image.rgb.size() != static_cast<size_t>(image.height * image.width * 3)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot encode ", format, ": image is ",
                                                   image.height, "x", image.width, " with ",
                                                   image.rgb.size(), " bytes"));
  }
  return absl::OkStatus();
}

struct JpegEncodeJob {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr error{};
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = "unknown libjpeg error";
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  ~JpegEncodeJob() {
    jpeg_destroy_compress(&cinfo);
    std::free(buffer);
  }
};

[[noreturn]] void JpegEncodeFail(j_common_ptr cinfo) {
  auto* job = static_cast<JpegEncodeJob*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, job->message);
  std::longjmp(job->jump, 1);
}

void write_jpeg(JpegEncodeJob* job, const Image& image, int quality) {
  jpeg_compress_struct* cinfo = &job->cinfo;
  jpeg_create_compress(cinfo);
  jpeg_mem_dest(cinfo, &job->buffer, &job->size);
  cinfo->image_width = static_cast<JDIMENSION>(image.width);
  cinfo->image_height = static_cast<JDIMENSION>(image.height);
  cinfo->input_components = 3;
  cinfo->in_color_space = JCS_RGB;
  jpeg_set_defaults(cinfo);
  jpeg_set_quality(cinfo, quality, TRUE);
  jpeg_start_compress(cinfo, TRUE);
  while (cinfo->next_scanline < cinfo->image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(&image.rgb[size_t{cinfo->next_scanline} * image.width * 3]);
    jpeg_write_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_compress(cinfo);
}

struct PngEncodeJob {
  png_structp png = nullptr;
  png_infop info = nullptr;
  char message[256] = "unknown libpng error";
  std::vector<uint8_t> out;
  std::vector<png_bytep> rows;
  ~PngEncodeJob() { png_destroy_write_struct(&png, &info); }
};

void PngEncodeError(png_structp png, png_const_charp message) {
  auto* job = static_cast<PngEncodeJob*>(png_get_error_ptr(png));
  std::snprintf(job->message, sizeof(job->message), "%s", message);
  png_longjmp(png, 1);
}

void PngAppend(png_structp png, png_bytep data, size_t n) {
  auto* job = static_cast<PngEncodeJob*>(png_get_io_ptr(png));
  job->out.insert(job->out.end(), data, data + n);
}

void write_png_to_memory(PngEncodeJob* job, const Image& image) {
  png_set_write_fn(job->png, job, PngAppend, nullptr);
  // Fast filters and level: shards favour decode speed, and views/frames are re-encodable.
  png_set_compression_level(job->png, 3);
  png_set_IHDR(job->png, job->info, static_cast<png_uint_32>(image.width),
               static_cast<png_uint_32>(image.height), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(job->png, job->info);
  png_write_image(job->png, job->rows.data());
  png_write_end(job->png, nullptr);
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> encode_jpeg_bytes(const Image& image, int quality) {
  if (absl::Status s = check_image(image, "JPEG"); !s.ok()) return s;
  auto job = std::make_unique<JpegEncodeJob>();
  job->cinfo.err = jpeg_std_error(&job->error);
  job->cinfo.client_data = job.get();
  job->error.error_exit = JpegEncodeFail;
  if (setjmp(job->jump)) {
    return absl::InternalError(absl::StrCat("cannot encode JPEG: ", job->message));
  }
  write_jpeg(job.get(), image, quality);
  return std::vector<uint8_t>(job->buffer, job->buffer + job->size);
}

absl::StatusOr<std::vector<uint8_t>> encode_png_bytes(const Image& image) {
  if (absl::Status s = check_image(image, "PNG"); !s.ok()) return s;
  auto job = std::make_unique<PngEncodeJob>();
  job->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, job.get(), PngEncodeError, nullptr);
  if (job->png != nullptr) job->info = png_create_info_struct(job->png);
  if (job->png == nullptr || job->info == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate a PNG encoder");
  }
  job->rows.resize(image.height);
  for (int64_t y = 0; y < image.height; ++y) {
    job->rows[y] = const_cast<png_bytep>(&image.rgb[y * image.width * 3]);
  }
  if (setjmp(png_jmpbuf(job->png))) {
    return absl::InternalError(absl::StrCat("cannot encode PNG: ", job->message));
  }
  write_png_to_memory(job.get(), image);
  return std::move(job->out);
}

}  // namespace tetra::data
