// ImageShardWriter: records accumulate in memory (a shard is bounded by the packer's shard_size) and
// Finish() writes the whole file at once under a temporary name before publishing it.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "data/h5_util.h"
#include "data/io_util.h"
#include "data/shard.h"
#include "data/shard_schema.h"

namespace tetra::data {

namespace {

// The shard's datasets, column by column, exactly as they will be written.
struct ShardColumns {
  std::vector<uint8_t> blob;
  std::vector<uint64_t> offsets{0};
  std::vector<uint8_t> encodings;
  std::vector<int64_t> heights;
  std::vector<int64_t> widths;
  std::vector<std::string> source_ids;
};

}  // namespace

struct ImageShardWriter::State {
  std::string path;
  ShardColumns columns;
  int64_t count = 0;
  bool finished = false;
};

namespace {

// Writes one HDF5 file; every step names the object it was creating when it failed.
class ShardFileWriter {
 public:
  ShardFileWriter(hid_t file, std::string context) : file_(file), context_(std::move(context)) {}

  absl::Status StringAttribute(const char* name, const std::string& value) {
    H5Type type = MakeUtf8StringType();
    H5Space space(H5Screate(H5S_SCALAR));
    H5Attribute attr(H5Acreate2(file_, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
    const char* text = value.c_str();
    if (!attr.valid() || H5Awrite(attr.get(), type.get(), &text) < 0) return Failed(name);
    return absl::OkStatus();
  }

  absl::Status IntAttribute(const char* name, hid_t file_type, int64_t value) {
    H5Space space(H5Screate(H5S_SCALAR));
    H5Attribute attr(H5Acreate2(file_, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT));
    if (!attr.valid() || H5Awrite(attr.get(), H5T_NATIVE_INT64, &value) < 0) return Failed(name);
    return absl::OkStatus();
  }

  absl::Status Array(hid_t group, const char* name, hid_t file_type, hid_t mem_type,
                     const void* data, hsize_t count) {
    return Array(group, name, file_type, mem_type, data, count, UntimedCreation().get());
  }

  absl::Status Array(hid_t group, const char* name, hid_t file_type, hid_t mem_type,
                     const void* data, hsize_t count, hid_t create_plist) {
    H5Space space(H5Screate_simple(1, &count, nullptr));
    H5Dataset dataset(H5Dcreate2(group, name, file_type, space.get(), H5P_DEFAULT, create_plist,
                                 H5P_DEFAULT));
    if (!dataset.valid() || H5Dwrite(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                     data) < 0) {
      return Failed(absl::StrCat(schema::kGroup, "/", name));
    }
    return absl::OkStatus();
  }

  absl::Status Blob(hid_t group, const std::vector<uint8_t>& blob) {
    const hsize_t chunk = std::min<hsize_t>(schema::kDataChunkBytes, blob.size());
    H5PropertyList create = UntimedCreation();
    if (!create.valid() || H5Pset_chunk(create.get(), 1, &chunk) < 0) {
      return Failed("images/data chunk layout");
    }
    return Array(group, schema::kData, H5T_STD_U8LE, H5T_NATIVE_UINT8, blob.data(), blob.size(),
                 create.get());
  }

  // Objects carry no modification time, so identical content gives a byte-identical file.
  static H5PropertyList UntimedCreation(hid_t plist_class = H5P_DATASET_CREATE) {
    H5PropertyList plist(H5Pcreate(plist_class));
    H5Pset_obj_track_times(plist.get(), false);
    return plist;
  }

  absl::Status Strings(hid_t group, const char* name, const std::vector<std::string>& values) {
    std::vector<const char*> pointers;
    pointers.reserve(values.size());
    for (const std::string& v : values) pointers.push_back(v.c_str());
    H5Type type = MakeUtf8StringType();
    return Array(group, name, type.get(), type.get(), pointers.data(), pointers.size());
  }

 private:
  absl::Status Failed(absl::string_view what) {
    return Hdf5Error(absl::StatusCode::kInternal, context_, absl::StrCat("cannot write ", what));
  }

  hid_t file_;
  std::string context_;
};

absl::Status WriteShardContents(hid_t file, const std::string& context, const ShardColumns& c) {
  ShardFileWriter out(file, context);
  const hsize_t n = c.encodings.size();
  absl::Status s = out.StringAttribute(schema::kFormatAttr, schema::kFormatValue);
  if (s.ok()) s = out.IntAttribute(schema::kVersionAttr, H5T_STD_I32LE, kShardFormatVersion);
  if (s.ok()) s = out.StringAttribute(schema::kModalityAttr, schema::kImageModality);
  if (s.ok()) s = out.IntAttribute(schema::kNumSamplesAttr, H5T_STD_I64LE, static_cast<int64_t>(n));
  if (!s.ok()) return s;
  H5PropertyList group_create = ShardFileWriter::UntimedCreation(H5P_GROUP_CREATE);
  H5Group group(
      H5Gcreate2(file, schema::kGroup, H5P_DEFAULT, group_create.get(), H5P_DEFAULT));
  if (!group.valid()) {
    return Hdf5Error(absl::StatusCode::kInternal, context, "cannot create group images");
  }
  const hid_t g = group.get();
  s = out.Blob(g, c.blob);
  if (s.ok()) {
    s = out.Array(g, schema::kOffsets, H5T_STD_U64LE, H5T_NATIVE_UINT64, c.offsets.data(), n + 1);
  }
  if (s.ok()) {
    s = out.Array(g, schema::kEncoding, H5T_STD_U8LE, H5T_NATIVE_UINT8, c.encodings.data(), n);
  }
  if (s.ok()) {
    s = out.Array(g, schema::kHeight, H5T_STD_I64LE, H5T_NATIVE_INT64, c.heights.data(), n);
  }
  if (s.ok()) {
    s = out.Array(g, schema::kWidth, H5T_STD_I64LE, H5T_NATIVE_INT64, c.widths.data(), n);
  }
  if (s.ok()) s = out.Strings(g, schema::kSourceId, c.source_ids);
  return s;
}

absl::Status CheckRecord(const ImageRecord& record, const std::string& path) {
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

ImageShardWriter::ImageShardWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
ImageShardWriter::~ImageShardWriter() = default;

absl::StatusOr<std::unique_ptr<ImageShardWriter>> ImageShardWriter::Create(
    const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
    return absl::NotFoundError(absl::StrCat("cannot create shard '", path, "': folder '",
                                            parent.string(), "' does not exist"));
  }
  auto state = std::make_unique<State>();
  state->path = path;
  return std::unique_ptr<ImageShardWriter>(new ImageShardWriter(std::move(state)));
}

int64_t ImageShardWriter::size() const { return state_->count; }

absl::Status ImageShardWriter::Add(const ImageRecord& record) {
  State& s = *state_;
  if (s.finished) {
    return absl::FailedPreconditionError(
        absl::StrCat("shard '", s.path, "': Add() after Finish(); create a new writer"));
  }
  if (absl::Status status = CheckRecord(record, s.path); !status.ok()) return status;
  ShardColumns& c = s.columns;
  c.blob.insert(c.blob.end(), record.bytes.begin(), record.bytes.end());
  c.offsets.push_back(c.blob.size());
  c.encodings.push_back(static_cast<uint8_t>(record.encoding));
  c.heights.push_back(record.height);
  c.widths.push_back(record.width);
  c.source_ids.push_back(record.source_id);
  ++s.count;
  return absl::OkStatus();
}

absl::Status ImageShardWriter::Finish() {
  State& s = *state_;
  const std::string context = absl::StrCat("shard '", s.path, "'");
  if (s.finished) {
    return absl::FailedPreconditionError(absl::StrCat(context, ": Finish() called twice"));
  }
  if (s.count == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, ": no samples added; a shard holds at least one"));
  }
  s.finished = true;
  const std::string tmp = s.path + ".tmp";
  absl::Status status;
  {
    auto lock = LockHdf5();
    H5File file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    if (!file.valid()) {
      return Hdf5Error(absl::StatusCode::kInternal, context, absl::StrCat("cannot create ", tmp));
    }
    status = WriteShardContents(file.get(), context, s.columns);
    if (status.ok() && H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) {
      status = Hdf5Error(absl::StatusCode::kInternal, context, "cannot flush");
    }
    if (file.reset() < 0 && status.ok()) {
      status = Hdf5Error(absl::StatusCode::kInternal, context, "cannot close");
    }
  }
  if (status.ok()) status = PublishFile(tmp, s.path);
  if (!status.ok()) std::remove(tmp.c_str());
  // The accumulated bytes are on disk (or lost); do not hold a shard's worth of memory any longer.
  s.columns = ShardColumns{};
  return status;
}

}  // namespace tetra::data
