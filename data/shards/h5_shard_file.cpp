#include "data/shards/h5_shard_file.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "data/util/io_util.h"
#include "data/shards/image_shard.h"

namespace tetra::data {
using namespace shard_root;  // NOLINT: the format's attribute names
namespace {

// Objects carry no modification time, so identical content gives a byte-identical file.
H5PropertyList untimed(hid_t plist_class) {
  H5PropertyList plist(H5Pcreate(plist_class));
  H5Pset_obj_track_times(plist.get(), false);
  return plist;
}

std::pair<std::string, std::string> split_name(const std::string& name) {
  const size_t slash = name.rfind('/');
  if (slash == std::string::npos) return {"", name};
  return {name.substr(0, slash), name.substr(slash + 1)};
}

}  // namespace

H5Type make_half_type() {
  H5Type type(H5Tcopy(H5T_IEEE_F32LE));
  H5Tset_fields(type.get(), 15, 10, 5, 0, 10);
  H5Tset_size(type.get(), 2);
  H5Tset_ebias(type.get(), 15);
  H5Tset_precision(type.get(), 16);
  return type;
}

// ------------------------------------------------------------------------------------ writer ---

absl::StatusOr<std::unique_ptr<ShardFileWriter>> ShardFileWriter::create(const std::string& path,
                                                                         Modality modality) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
    return absl::NotFoundError(absl::StrCat("cannot create shard '", path, "': folder '",
                                            parent.string(), "' does not exist"));
  }
  auto lock = lock_hdf5();
  std::unique_ptr<ShardFileWriter> writer(new ShardFileWriter(path, modality));
  const std::string tmp = path + ".tmp";
  writer->file_ = H5File(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  if (!writer->file_.valid()) return writer->failed(absl::StrCat("create ", tmp));
  return writer;
}

absl::StatusOr<std::unique_ptr<ShardFileWriter>> ShardFileWriter::edit(const std::string& path) {
  absl::StatusOr<std::unique_ptr<ShardFileReader>> original = ShardFileReader::open_any(path);
  if (!original.ok()) return original.status();
  const Modality modality = (*original)->modality();
  original->reset();
  const std::string tmp = path + ".tmp";
  std::error_code ec;
  std::filesystem::copy_file(path, tmp, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot copy shard '", path, "' to '", tmp, "': ", ec.message()));
  }
  auto lock = lock_hdf5();
  std::unique_ptr<ShardFileWriter> writer(new ShardFileWriter(path, modality));
  writer->editing_ = true;
  writer->file_ = H5File(H5Fopen(tmp.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
  if (!writer->file_.valid()) return writer->failed(absl::StrCat("open ", tmp, " for writing"));
  return writer;
}

absl::Status ShardFileWriter::remove_group(const std::string& name) {
  auto lock = lock_hdf5();
  groups_.erase(name);
  if (H5Lexists(file_.get(), name.c_str(), H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return absl::OkStatus();
  }
  if (H5Ldelete(file_.get(), name.c_str(), H5P_DEFAULT) < 0) {
    return failed(absl::StrCat("remove ", name));
  }
  return absl::OkStatus();
}

ShardFileWriter::~ShardFileWriter() {
  auto lock = lock_hdf5();
  tables_.clear();
  groups_.clear();
  if (file_.valid()) {
    file_.reset();
    if (!finished_) std::remove((path_ + ".tmp").c_str());
  }
}

absl::Status ShardFileWriter::failed(const std::string& what) const {
  return hdf5_error(absl::StatusCode::kInternal, absl::StrCat("shard '", path_, "'"),
                   absl::StrCat("cannot ", what));
}

absl::StatusOr<hid_t> ShardFileWriter::Group(const std::string& name) {
  if (name.empty()) return file_.get();
  auto it = groups_.find(name);
  if (it != groups_.end()) return it->second.get();
  const auto [parent_name, leaf] = split_name(name);
  absl::StatusOr<hid_t> parent = Group(parent_name);
  if (!parent.ok()) return parent.status();
  H5PropertyList create = untimed(H5P_GROUP_CREATE);
  H5Group group(H5Gcreate2(*parent, leaf.c_str(), H5P_DEFAULT, create.get(), H5P_DEFAULT));
  if (!group.valid()) return failed(absl::StrCat("create group ", name));
  const hid_t id = group.get();
  groups_.emplace(name, std::move(group));
  return id;
}

absl::Status ShardFileWriter::define_table(const std::string& name, hid_t file_type,
                                          const std::vector<hsize_t>& row_dims,
                                          hsize_t chunk_rows, int deflate) {
  auto lock = lock_hdf5();
  const auto [group_name, leaf] = split_name(name);
  absl::StatusOr<hid_t> group = Group(group_name);
  if (!group.ok()) return group.status();
  std::vector<hsize_t> dims{0}, max_dims{H5S_UNLIMITED}, chunk{std::max<hsize_t>(1, chunk_rows)};
  hsize_t elems = 1;
  for (hsize_t d : row_dims) {
    dims.push_back(d);
    max_dims.push_back(d);
    chunk.push_back(d);
    elems *= d;
  }
  H5Space space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims.data()));
  H5PropertyList create = untimed(H5P_DATASET_CREATE);
  H5Pset_chunk(create.get(), static_cast<int>(chunk.size()), chunk.data());
  if (deflate > 0) H5Pset_deflate(create.get(), static_cast<unsigned>(deflate));
  H5Dataset dataset(H5Dcreate2(*group, leaf.c_str(), file_type, space.get(), H5P_DEFAULT,
                               create.get(), H5P_DEFAULT));
  if (!dataset.valid()) return failed(absl::StrCat("create ", name));
  tables_[name] = std::move(dataset);
  rows_[name] = 0;
  row_elems_[name] = elems;
  return absl::OkStatus();
}

hsize_t ShardFileWriter::rows(const std::string& name) const {
  auto it = rows_.find(name);
  return it == rows_.end() ? 0 : it->second;
}

absl::Status ShardFileWriter::append(const std::string& name, hid_t mem_type, const void* data,
                                     hsize_t rows) {
  if (rows == 0) return absl::OkStatus();
  auto lock = lock_hdf5();
  auto it = tables_.find(name);
  if (it == tables_.end()) {
    return absl::InternalError(absl::StrCat("shard '", path_, "': table ", name, " not defined"));
  }
  const hid_t dataset = it->second.get();
  H5Space old_space(H5Dget_space(dataset));
  const int rank = H5Sget_simple_extent_ndims(old_space.get());
  std::vector<hsize_t> dims(rank);
  H5Sget_simple_extent_dims(old_space.get(), dims.data(), nullptr);
  const hsize_t first = dims[0];
  dims[0] += rows;
  if (H5Dset_extent(dataset, dims.data()) < 0) return failed(absl::StrCat("extend ", name));
  H5Space file_space(H5Dget_space(dataset));
  H5Space mem_space = select_rows(file_space.get(), dims, first, rows);
  if (mem_space.get() < 0 ||
      H5Dwrite(dataset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0) {
    return failed(absl::StrCat("append to ", name));
  }
  rows_[name] = dims[0];
  return absl::OkStatus();
}

absl::Status ShardFileWriter::write_column(const std::string& name, hid_t file_type,
                                          hid_t mem_type, const void* data, hsize_t count,
                                          hsize_t chunk) {
  auto lock = lock_hdf5();
  const auto [group_name, leaf] = split_name(name);
  absl::StatusOr<hid_t> group = Group(group_name);
  if (!group.ok()) return group.status();
  H5Space space(H5Screate_simple(1, &count, nullptr));
  H5PropertyList create = untimed(H5P_DATASET_CREATE);
  if (chunk > 0 && H5Pset_chunk(create.get(), 1, &chunk) < 0) {
    return failed(absl::StrCat("write ", name, " chunk layout"));
  }
  H5Dataset dataset(H5Dcreate2(*group, leaf.c_str(), file_type, space.get(), H5P_DEFAULT,
                               create.get(), H5P_DEFAULT));
  if (!dataset.valid() ||
      (count > 0 && H5Dwrite(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)) {
    return failed(absl::StrCat("write ", name));
  }
  return absl::OkStatus();
}

absl::Status ShardFileWriter::write_strings(const std::string& name,
                                           const std::vector<std::string>& values) {
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& v : values) pointers.push_back(v.c_str());
  auto lock = lock_hdf5();
  H5Type type = make_utf8_string_type();
  return write_column(name, type.get(), type.get(), pointers.data(), pointers.size());
}

absl::Status ShardFileWriter::write_int_attribute(const std::string& object, const char* name,
                                                int64_t value) {
  auto lock = lock_hdf5();
  absl::StatusOr<hid_t> target = Group(object);
  if (!target.ok()) return target.status();
  H5Space space(H5Screate(H5S_SCALAR));
  H5Attribute attr(H5Acreate2(*target, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attr.valid() || H5Awrite(attr.get(), H5T_NATIVE_INT64, &value) < 0) {
    return failed(absl::StrCat("write attribute ", object, "@", name));
  }
  return absl::OkStatus();
}

absl::Status ShardFileWriter::write_string_attribute(const std::string& object, const char* name,
                                                   const std::string& value) {
  auto lock = lock_hdf5();
  absl::StatusOr<hid_t> target = Group(object);
  if (!target.ok()) return target.status();
  H5Type type = make_utf8_string_type();
  H5Space space(H5Screate(H5S_SCALAR));
  H5Attribute attr(H5Acreate2(*target, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  const char* text = value.c_str();
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), &text) < 0) {
    return failed(absl::StrCat("write attribute ", object, "@", name));
  }
  return absl::OkStatus();
}

absl::Status ShardFileWriter::finish(int64_t num_samples) {
  if (finished_) return absl::FailedPreconditionError(absl::StrCat(path_, ": finish() twice"));
  absl::Status s = editing_ ? absl::OkStatus() : write_string_attribute("", kFormatAttr,
                                                                      kFormatValue);
  if (s.ok() && !editing_) {
    auto lock = lock_hdf5();
    H5Space space(H5Screate(H5S_SCALAR));
    H5Attribute attr(H5Acreate2(file_.get(), kVersionAttr, H5T_STD_I32LE, space.get(),
                                H5P_DEFAULT, H5P_DEFAULT));
    const int32_t version = kShardFormatVersion;
    if (!attr.valid() || H5Awrite(attr.get(), H5T_NATIVE_INT32, &version) < 0) {
      s = failed("write format_version");
    }
  }
  if (s.ok() && !editing_) {
    s = write_string_attribute("", kModalityAttr, modality_disk_name(modality_));
  }
  if (s.ok() && !editing_) s = write_int_attribute("", kNumSamplesAttr, num_samples);
  if (!s.ok()) return s;
  {
    auto lock = lock_hdf5();
    tables_.clear();
    groups_.clear();
    if (H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0) return failed("flush");
    if (file_.reset() < 0) return failed("close");
  }
  finished_ = true;
  const std::string tmp = path_ + ".tmp";
  absl::Status published = PublishFile(tmp, path_);
  if (!published.ok()) std::remove(tmp.c_str());
  return published;
}

// ------------------------------------------------------------------------------------ reader ---

}  // namespace tetra::data
