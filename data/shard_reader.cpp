// ImageShardReader: Open() validates the file and loads the small per-sample columns; Read() then
// fetches one sample's byte range from the blob and nothing else.
#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "data/h5_util.h"
#include "data/shard.h"
#include "data/shard_schema.h"

namespace tetra::data {

namespace {

// The small per-sample columns, loaded whole at Open().
struct ShardIndex {
  std::vector<uint64_t> offsets;
  std::vector<uint8_t> encodings;
  std::vector<int64_t> heights;
  std::vector<int64_t> widths;
  std::vector<std::string> source_ids;
};

}  // namespace

struct ImageShardReader::State {
  std::string path;
  std::string context;  // "shard <path>", the prefix of every error
  int format_version = 0;
  H5File file;
  H5Dataset data;
  ShardIndex index;
};

namespace {

constexpr char kRepackHint[] = "re-pack it with `tetra-data pack images`";

absl::Status Corrupt(const std::string& context, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(context, ": ", what, "; ", kRepackHint));
}

absl::Status Missing(const std::string& context, absl::string_view what) {
  return Hdf5Error(absl::StatusCode::kDataLoss, context,
                   absl::StrCat(what, " is missing or unreadable; ", kRepackHint));
}

// Reads the attributes and columns of one open shard file, naming the object on every failure.
class ShardFileReader {
 public:
  explicit ShardFileReader(const std::string& context) : context_(context) {}

  absl::StatusOr<std::string> StringAttribute(hid_t object, const char* name) const {
    if (H5Aexists(object, name) <= 0) return Missing(context_, absl::StrCat("attribute ", name));
    H5Attribute attr(H5Aopen(object, name, H5P_DEFAULT));
    absl::StatusOr<std::string> value = ReadStringAttributeValue(attr.get());
    if (value.ok()) return value;
    if (absl::IsInvalidArgument(value.status())) {
      return Corrupt(context_, absl::StrCat("attribute ", name, " is not a string"));
    }
    return Missing(context_, absl::StrCat("attribute ", name));
  }

  absl::StatusOr<int64_t> IntAttribute(hid_t object, const char* name) const {
    if (H5Aexists(object, name) <= 0) return Missing(context_, absl::StrCat("attribute ", name));
    H5Attribute attr(H5Aopen(object, name, H5P_DEFAULT));
    H5Type file_type(H5Aget_type(attr.get()));
    if (!file_type.valid() || H5Tget_class(file_type.get()) != H5T_INTEGER) {
      return Corrupt(context_, absl::StrCat("attribute ", name, " is not an integer"));
    }
    int64_t value = 0;
    if (H5Aread(attr.get(), H5T_NATIVE_INT64, &value) < 0) {
      return Missing(context_, absl::StrCat("attribute ", name));
    }
    return value;
  }

  // A 1-D dataset that must hold exactly `count` elements.
  absl::StatusOr<H5Dataset> Column(hid_t group, const char* name, hsize_t count,
                                   hid_t access = H5P_DEFAULT) const {
    const std::string full = absl::StrCat(schema::kGroup, "/", name);
    if (H5Lexists(group, name, H5P_DEFAULT) <= 0) return Missing(context_, full);
    H5Dataset dataset(H5Dopen2(group, name, access));
    H5Space space(H5Dget_space(dataset.get()));
    hsize_t dims = 0;
    if (!space.valid() || H5Sget_simple_extent_ndims(space.get()) != 1 ||
        H5Sget_simple_extent_dims(space.get(), &dims, nullptr) < 0) {
      return Corrupt(context_, absl::StrCat(full, " is not a 1-D dataset"));
    }
    if (count != kAnyCount && dims != count) {
      return Corrupt(context_,
                     absl::StrCat(full, " has ", dims, " elements, expected ", count));
    }
    return dataset;
  }

  template <typename T>
  absl::StatusOr<std::vector<T>> Values(hid_t group, const char* name, hid_t mem_type,
                                        hsize_t count) const {
    absl::StatusOr<H5Dataset> dataset = Column(group, name, count);
    if (!dataset.ok()) return dataset.status();
    std::vector<T> values(count);
    if (count > 0 &&
        H5Dread(dataset->get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
      return Missing(context_, absl::StrCat(schema::kGroup, "/", name));
    }
    return values;
  }

  absl::StatusOr<std::vector<std::string>> Strings(hid_t group, const char* name,
                                                   hsize_t count) const {
    absl::StatusOr<H5Dataset> dataset = Column(group, name, count);
    if (!dataset.ok()) return dataset.status();
    H5Type mem_type = MakeUtf8StringType();
    std::vector<char*> pointers(count, nullptr);
    if (count > 0 && H5Dread(dataset->get(), mem_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                             pointers.data()) < 0) {
      return Missing(context_, absl::StrCat(schema::kGroup, "/", name));
    }
    std::vector<std::string> values;
    values.reserve(count);
    for (char* p : pointers) {
      values.emplace_back(p == nullptr ? "" : p);
      H5free_memory(p);
    }
    return values;
  }

  static constexpr hsize_t kAnyCount = ~hsize_t{0};

 private:
  const std::string& context_;
};

absl::Status CheckHeader(const ShardFileReader& in, hid_t file, const std::string& context,
                         int* version) {
  absl::StatusOr<std::string> format = in.StringAttribute(file, schema::kFormatAttr);
  if (!format.ok()) return format.status();
  if (*format != schema::kFormatValue) {
    return absl::InvalidArgumentError(absl::StrCat(context, ": format attribute is '", *format,
                                                   "', expected '", schema::kFormatValue,
                                                   "'; this is not a tetra shard"));
  }
  absl::StatusOr<int64_t> stored = in.IntAttribute(file, schema::kVersionAttr);
  if (!stored.ok()) return stored.status();
  if (*stored > kShardFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        context, ": format_version ", *stored, " is newer than this build supports (",
        kShardFormatVersion, "); rebuild tetra or repack"));
  }
  if (*stored < 1) {
    return Corrupt(context, absl::StrCat("format_version ", *stored, " is not a valid version"));
  }
  *version = static_cast<int>(*stored);
  absl::StatusOr<std::string> modality = in.StringAttribute(file, schema::kModalityAttr);
  if (!modality.ok()) return modality.status();
  if (*modality != schema::kImageModality) {
    return absl::InvalidArgumentError(absl::StrCat(context, ": holds modality '", *modality,
                                                   "', but an image shard was expected"));
  }
  return absl::OkStatus();
}

// Offsets must start at 0, grow strictly (no sample is empty) and end at the blob's size, so every
// later Read() stays inside the blob.
absl::Status CheckIndex(const ShardIndex& index, const std::string& context, uint64_t blob_size) {
  if (index.offsets.front() != 0 || index.offsets.back() != blob_size) {
    return Corrupt(context, absl::StrCat("images/offsets span [", index.offsets.front(), ", ",
                                         index.offsets.back(), "] but images/data holds ",
                                         blob_size, " bytes"));
  }
  for (size_t i = 0; i < index.encodings.size(); ++i) {
    if (index.offsets[i + 1] <= index.offsets[i]) {
      return Corrupt(context, absl::StrCat("sample ", i, " has an empty or negative byte range"));
    }
    if (index.encodings[i] > static_cast<uint8_t>(ImageEncoding::kJpeg)) {
      return Corrupt(context, absl::StrCat("sample ", i, " has unknown encoding ",
                                           static_cast<int>(index.encodings[i])));
    }
    if (index.heights[i] <= 0 || index.widths[i] <= 0) {
      return Corrupt(context, absl::StrCat("sample ", i, " has size ", index.heights[i], "x",
                                           index.widths[i]));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ShardIndex> LoadIndex(const ShardFileReader& in, hid_t group, int64_t count) {
  const hsize_t n = static_cast<hsize_t>(count);
  auto offsets = in.Values<uint64_t>(group, schema::kOffsets, H5T_NATIVE_UINT64, n + 1);
  auto encodings = in.Values<uint8_t>(group, schema::kEncoding, H5T_NATIVE_UINT8, n);
  auto heights = in.Values<int64_t>(group, schema::kHeight, H5T_NATIVE_INT64, n);
  auto widths = in.Values<int64_t>(group, schema::kWidth, H5T_NATIVE_INT64, n);
  auto ids = in.Strings(group, schema::kSourceId, n);
  for (const absl::Status& status : {offsets.status(), encodings.status(), heights.status(),
                                     widths.status(), ids.status()}) {
    if (!status.ok()) return status;
  }
  return ShardIndex{std::move(*offsets), std::move(*encodings), std::move(*heights),
                    std::move(*widths), std::move(*ids)};
}

// The blob dataset, opened with no chunk cache: an uncompressed chunk bigger than the cache is read
// straight from the file, so Read() touches exactly one sample's bytes.
absl::StatusOr<H5Dataset> OpenBlob(const ShardFileReader& in, hid_t group, uint64_t* size) {
  H5PropertyList access(H5Pcreate(H5P_DATASET_ACCESS));
  H5Pset_chunk_cache(access.get(), 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT);
  absl::StatusOr<H5Dataset> data =
      in.Column(group, schema::kData, ShardFileReader::kAnyCount, access.get());
  if (!data.ok()) return data.status();
  H5Space space(H5Dget_space(data->get()));
  hsize_t dims = 0;
  H5Sget_simple_extent_dims(space.get(), &dims, nullptr);
  *size = dims;
  return data;
}

}  // namespace

ImageShardReader::ImageShardReader(std::unique_ptr<State> state) : state_(std::move(state)) {}

ImageShardReader::~ImageShardReader() {
  auto lock = LockHdf5();
  state_.reset();
}

absl::StatusOr<std::unique_ptr<ImageShardReader>> ImageShardReader::Open(const std::string& path) {
  // Taken first so it is released last: an early return closes the state's handles under it.
  auto lock = LockHdf5();
  auto state = std::make_unique<State>();
  state->path = path;
  state->context = absl::StrCat("shard ", path);
  absl::StatusOr<H5File> opened = OpenShardFile(path, state->context, kRepackHint);
  if (!opened.ok()) return opened.status();
  state->file = std::move(*opened);
  const ShardFileReader in(state->context);
  const hid_t file = state->file.get();
  if (absl::Status s = CheckHeader(in, file, state->context, &state->format_version); !s.ok()) {
    return s;
  }
  absl::StatusOr<int64_t> count = in.IntAttribute(file, schema::kNumSamplesAttr);
  if (!count.ok()) return count.status();
  if (*count < 0) return Corrupt(state->context, absl::StrCat("num_samples is ", *count));
  H5Group group(H5Gopen2(file, schema::kGroup, H5P_DEFAULT));
  if (!group.valid()) return Missing(state->context, absl::StrCat("group ", schema::kGroup));
  uint64_t blob_size = 0;
  absl::StatusOr<H5Dataset> data = OpenBlob(in, group.get(), &blob_size);
  if (!data.ok()) return data.status();
  state->data = std::move(*data);
  absl::StatusOr<ShardIndex> index = LoadIndex(in, group.get(), *count);
  if (!index.ok()) return index.status();
  state->index = std::move(*index);
  if (absl::Status s = CheckIndex(state->index, state->context, blob_size); !s.ok()) return s;
  return std::unique_ptr<ImageShardReader>(new ImageShardReader(std::move(state)));
}

int64_t ImageShardReader::size() const {
  return static_cast<int64_t>(state_->index.encodings.size());
}
const std::string& ImageShardReader::path() const { return state_->path; }
int ImageShardReader::format_version() const { return state_->format_version; }

absl::StatusOr<ImageRecord> ImageShardReader::Read(int64_t index) const {
  const State& s = *state_;
  const ShardIndex& columns = s.index;
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(
        absl::StrCat(s.context, ": sample ", index, " is outside [0, ", size(), ")"));
  }
  ImageRecord record;
  record.source_id = columns.source_ids[index];
  record.encoding = static_cast<ImageEncoding>(columns.encodings[index]);
  record.height = columns.heights[index];
  record.width = columns.widths[index];
  const hsize_t begin = columns.offsets[index];
  const hsize_t count = columns.offsets[index + 1] - begin;
  record.bytes.resize(count);
  auto lock = LockHdf5();
  H5Space file_space(H5Dget_space(s.data.get()));
  H5Space mem_space(H5Screate_simple(1, &count, nullptr));
  if (!file_space.valid() ||
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &begin, nullptr, &count, nullptr) <
          0 ||
      H5Dread(s.data.get(), H5T_NATIVE_UINT8, mem_space.get(), file_space.get(), H5P_DEFAULT,
              record.bytes.data()) < 0) {
    return Hdf5Error(absl::StatusCode::kDataLoss, s.context,
                     absl::StrCat("cannot read the bytes of sample ", index));
  }
  return record;
}

absl::StatusOr<Image> ImageShardReader::ReadImage(int64_t index) const {
  absl::StatusOr<ImageRecord> record = Read(index);
  if (!record.ok()) return record.status();
  return DecodeRecord(*record, absl::StrCat(state_->path, "#", index));
}

absl::StatusOr<Image> DecodeRecord(const ImageRecord& record, std::string_view label) {
  const absl::string_view name(label.data(), label.size());
  if (record.encoding == ImageEncoding::kRawRgb8) {
    if (record.bytes.size() != static_cast<size_t>(record.height * record.width * 3)) {
      return absl::DataLossError(absl::StrCat(name, ": raw RGB8 sample has ", record.bytes.size(),
                                              " bytes but its size is ", record.height, "x",
                                              record.width, "x3; ", kRepackHint));
    }
    return Image{record.height, record.width, record.bytes};
  }
  absl::StatusOr<Image> decoded = DecodeImage(record.bytes.data(), record.bytes.size(), label);
  if (!decoded.ok()) return decoded.status();
  if (decoded->height != record.height || decoded->width != record.width) {
    return absl::DataLossError(absl::StrCat(name, ": decodes to ", decoded->height, "x",
                                            decoded->width, " but the shard says ", record.height,
                                            "x", record.width, "; ", kRepackHint));
  }
  return decoded;
}

absl::StatusOr<std::vector<std::string>> ListShards(const std::string& dir) {
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
