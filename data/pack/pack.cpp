// pack_images: each file is validated by decoding it (in parallel); the original bytes are stored.
#include "data/pack/pack.h"

#include "absl/strings/str_cat.h"
#include "data/media/image.h"
#include "data/util/io_util.h"
#include "data/pack/runner.h"
#include "data/shards/image_shard.h"

namespace tetra::data {
namespace {

absl::StatusOr<ImageRecord> load_image_file(const PackFile& file) {
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadFileBytes(file.path);
  if (!bytes.ok()) return bytes.status();
  if (bytes->empty()) return absl::InvalidArgumentError(absl::StrCat(file.relative, ": empty file"));
  absl::StatusOr<Image> image = decode_image(bytes->data(), bytes->size(), file.relative);
  if (!image.ok()) return image.status();
  ImageRecord record;
  record.source_id = file.relative;
  record.encoding = sniff_image_format(bytes->data(), bytes->size()) == ImageFileFormat::kPng
                        ? ImageEncoding::kPng
                        : ImageEncoding::kJpeg;
  record.height = image->height;
  record.width = image->width;
  record.bytes = std::move(*bytes);
  return record;
}

}  // namespace

absl::StatusOr<PackReport> pack_images(const PackImagesOptions& options) {
  const PackJob job("images", options, {".png", ".jpg", ".jpeg"}, "original-bytes");
  return run_pack<ImageShardWriter, ImageRecord>(job, load_image_file);
}

}  // namespace tetra::data
