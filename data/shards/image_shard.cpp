// The image shard's layout (docs/data-format.md) on top of the generic ShardFileReader/Writer, plus
// record decoding and shard listing.
#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "data/shards/h5_shard_file.h"
#include "data/shards/image_shard.h"

namespace tetra::data {
namespace {

constexpr char kData[] = "images/data";
constexpr char kOffsets[] = "images/offsets";
constexpr char kEncoding[] = "images/encoding";
constexpr char kHeight[] = "images/height";
constexpr char kWidth[] = "images/width";
constexpr char kSourceId[] = "images/source_id";
// Chunk of the byte blob. No filter, so the reader reads one sample's byte range straight from the
// file (it turns the chunk cache off); chunked so h5repack can add a filter without a format change.
constexpr hsize_t kDataChunkBytes = 1 << 20;
constexpr char kRepackHint[] = "re-pack it with `tetra-data pack images`";

absl::Status check_record(const ImageRecord& record, const std::string& path) {
  const std::string where = absl::StrCat("shard '", path, "': record '", record.source_id, "'");
  if (record.height <= 0 || record.width <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " has size ", record.height, "x", record.width, "; both must be > 0"));
  }
  if (record.bytes.empty()) return absl::InvalidArgumentError(absl::StrCat(where, " has no bytes"));
  if (static_cast<uint8_t>(record.encoding) > static_cast<uint8_t>(ImageEncoding::kJpeg)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, " has unknown encoding ", static_cast<int>(record.encoding)));
  }
  const uint64_t raw_size = static_cast<uint64_t>(record.height) * record.width * 3;
  if (record.encoding == ImageEncoding::kRawRgb8 && record.bytes.size() != raw_size) {
    return absl::InvalidArgumentError(absl::StrCat(where, " is raw RGB8 with ", record.bytes.size(),
                                                   " bytes; ", record.height, "x", record.width,
                                                   "x3 needs ", raw_size));
  }
  return absl::OkStatus();
}

}  // namespace

// ------------------------------------------------------------------------------------ writer ---

ImageShardWriter::ImageShardWriter(std::unique_ptr<ShardFileWriter> file) : file_(std::move(file)) {}
ImageShardWriter::~ImageShardWriter() = default;

absl::StatusOr<std::unique_ptr<ImageShardWriter>> ImageShardWriter::create(
    const std::string& path) {
  absl::StatusOr<std::unique_ptr<ShardFileWriter>> file =
      ShardFileWriter::create(path, Modality::kImage);
  if (!file.ok()) return file.status();
  return std::unique_ptr<ImageShardWriter>(new ImageShardWriter(std::move(*file)));
}

absl::Status ImageShardWriter::add(const ImageRecord& record) {
  if (finished_) {
    return absl::FailedPreconditionError(
        absl::StrCat("shard '", file_->path(), "': add() after finish(); create a new writer"));
  }
  if (absl::Status status = check_record(record, file_->path()); !status.ok()) return status;
  blob_.insert(blob_.end(), record.bytes.begin(), record.bytes.end());
  offsets_.push_back(blob_.size());
  encodings_.push_back(static_cast<uint8_t>(record.encoding));
  heights_.push_back(record.height);
  widths_.push_back(record.width);
  source_ids_.push_back(record.source_id);
  return absl::OkStatus();
}

absl::Status ImageShardWriter::finish() {
  const std::string context = absl::StrCat("shard '", file_->path(), "'");
  if (finished_) {
    return absl::FailedPreconditionError(absl::StrCat(context, ": finish() called twice"));
  }
  if (encodings_.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, ": no samples added; a shard holds at least one"));
  }
  finished_ = true;
  const hsize_t n = encodings_.size();
  ShardFileWriter& f = *file_;
  absl::Status s = f.write_column(kData, H5T_STD_U8LE, H5T_NATIVE_UINT8, blob_.data(), blob_.size(),
                                 std::min<hsize_t>(kDataChunkBytes, blob_.size()));
  if (s.ok()) s = f.write_column(kOffsets, H5T_STD_U64LE, H5T_NATIVE_UINT64, offsets_.data(), n + 1);
  if (s.ok()) s = f.write_column(kEncoding, H5T_STD_U8LE, H5T_NATIVE_UINT8, encodings_.data(), n);
  if (s.ok()) s = f.write_column(kHeight, H5T_STD_I64LE, H5T_NATIVE_INT64, heights_.data(), n);
  if (s.ok()) s = f.write_column(kWidth, H5T_STD_I64LE, H5T_NATIVE_INT64, widths_.data(), n);
  if (s.ok()) s = f.write_strings(kSourceId, source_ids_);
  if (s.ok()) s = f.finish(static_cast<int64_t>(n));
  // The accumulated bytes are on disk (or lost); do not hold a shard's worth of memory any longer.
  blob_ = {};
  return s;
}

// ------------------------------------------------------------------------------------ reader ---

ImageShardReader::ImageShardReader(std::unique_ptr<ShardFileReader> file) : file_(std::move(file)) {}
ImageShardReader::~ImageShardReader() = default;
const std::string& ImageShardReader::path() const { return file_->path(); }
int ImageShardReader::format_version() const { return file_->format_version(); }

absl::StatusOr<std::unique_ptr<ImageShardReader>> ImageShardReader::open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<ShardFileReader>> file =
      ShardFileReader::open(path, Modality::kImage);
  if (!file.ok()) return file.status();
  std::unique_ptr<ImageShardReader> reader(new ImageShardReader(std::move(*file)));
  if (absl::Status s = reader->load_index(); !s.ok()) return s;
  return reader;
}

// Loads the small per-sample columns. Offsets must start at 0, grow strictly (no sample is empty)
// and end at the blob's size, so every later read() stays inside the blob.
absl::Status ImageShardReader::load_index() {
  const ShardFileReader& f = *file_;
  const hsize_t n = static_cast<hsize_t>(f.num_samples());
  absl::StatusOr<std::vector<hsize_t>> blob = f.shape(kData);
  if (!blob.ok()) return blob.status();
  if (blob->size() != 1) return f.corrupt(absl::StrCat(kData, " is not a 1-D dataset"));
  auto offsets = f.column<uint64_t>(kOffsets, H5T_NATIVE_UINT64, n + 1);
  auto encodings = f.column<uint8_t>(kEncoding, H5T_NATIVE_UINT8, n);
  auto heights = f.column<int64_t>(kHeight, H5T_NATIVE_INT64, n);
  auto widths = f.column<int64_t>(kWidth, H5T_NATIVE_INT64, n);
  auto ids = f.strings(kSourceId, n);
  for (const absl::Status& s : {offsets.status(), encodings.status(), heights.status(),
                                widths.status(), ids.status()}) {
    if (!s.ok()) return s;
  }
  const uint64_t blob_size = (*blob)[0];
  if (offsets->front() != 0 || offsets->back() != blob_size) {
    return f.corrupt(absl::StrCat(kOffsets, " span [", offsets->front(), ", ", offsets->back(),
                                  "] but ", kData, " holds ", blob_size, " bytes"));
  }
  for (hsize_t i = 0; i < n; ++i) {
    if ((*offsets)[i + 1] <= (*offsets)[i]) {
      return f.corrupt(absl::StrCat("sample ", i, " has an empty or negative byte range"));
    }
    if ((*encodings)[i] > static_cast<uint8_t>(ImageEncoding::kJpeg)) {
      return f.corrupt(absl::StrCat("sample ", i, " has unknown encoding ",
                                    static_cast<int>((*encodings)[i])));
    }
    if ((*heights)[i] <= 0 || (*widths)[i] <= 0) {
      return f.corrupt(
          absl::StrCat("sample ", i, " has size ", (*heights)[i], "x", (*widths)[i]));
    }
  }
  offsets_ = std::move(*offsets);
  encodings_ = std::move(*encodings);
  heights_ = std::move(*heights);
  widths_ = std::move(*widths);
  source_ids_ = std::move(*ids);
  return absl::OkStatus();
}

absl::StatusOr<ImageRecord> ImageShardReader::read(int64_t index) const {
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(
        absl::StrCat("shard ", path(), ": sample ", index, " is outside [0, ", size(), ")"));
  }
  ImageRecord record;
  record.source_id = source_ids_[index];
  record.encoding = static_cast<ImageEncoding>(encodings_[index]);
  record.height = heights_[index];
  record.width = widths_[index];
  record.bytes.resize(offsets_[index + 1] - offsets_[index]);
  if (absl::Status s = file_->read_rows(kData, H5T_NATIVE_UINT8, offsets_[index],
                                       record.bytes.size(), record.bytes.data());
      !s.ok()) {
    return s;
  }
  return record;
}

absl::StatusOr<Image> ImageShardReader::read_image(int64_t index) const {
  absl::StatusOr<ImageRecord> record = read(index);
  if (!record.ok()) return record.status();
  return decode_record(*record, absl::StrCat(path(), "#", index));
}

// ------------------------------------------------------------------------------------ records ---

absl::StatusOr<Image> decode_record(const ImageRecord& record, std::string_view label) {
  const absl::string_view name(label.data(), label.size());
  if (record.encoding == ImageEncoding::kRawRgb8) {
    if (record.bytes.size() != static_cast<size_t>(record.height * record.width * 3)) {
      return absl::DataLossError(absl::StrCat(name, ": raw RGB8 sample has ", record.bytes.size(),
                                              " bytes but its size is ", record.height, "x",
                                              record.width, "x3; ", kRepackHint));
    }
    return Image{record.height, record.width, record.bytes};
  }
  absl::StatusOr<Image> decoded = decode_image(record.bytes.data(), record.bytes.size(), label);
  if (!decoded.ok()) return decoded.status();
  if (decoded->height != record.height || decoded->width != record.width) {
    return absl::DataLossError(absl::StrCat(name, ": decodes to ", decoded->height, "x",
                                            decoded->width, " but the shard says ", record.height,
                                            "x", record.width, "; ", kRepackHint));
  }
  return decoded;
}

absl::StatusOr<std::vector<std::string>> list_shards(const std::string& dir) {
  const std::string hint =
      absl::StrCat("pack a dataset with `tetra-data pack images|videos|meshes --in DIR --out ",
                   dir, "`");
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    return absl::NotFoundError(absl::StrCat("data path '", dir, "' does not exist: ", hint));
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("data path '", dir, "' is not a folder: ", hint));
  }
  std::vector<std::string> shards;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".h5" && entry.is_regular_file(ec)) {
      shards.push_back(entry.path().string());
    }
  }
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot list data path '", dir, "': ", ec.message()));
  }
  if (shards.empty()) {
    return absl::NotFoundError(absl::StrCat("data path '", dir, "' has no *.h5 shards: ", hint));
  }
  std::sort(shards.begin(), shards.end());
  return shards;
}

}  // namespace tetra::data
