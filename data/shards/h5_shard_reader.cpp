// ShardFileReader (h5_shard_file.h): opening, checking and reading a shard file. The writer is in
// h5_shard_file.cpp.
#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "data/shards/h5_shard_file.h"
#include "data/shards/image_shard.h"

namespace tetra::data {
using namespace shard_root;  // NOLINT: the format's attribute names
namespace {

std::string repack_hint(Modality m) {
  return absl::StrCat("re-pack it with `tetra-data pack ", modality_group(m), "`");
}

// Opens an existing shard file read-only; errors say "<context>: ..." and end with `hint` (how to
// repair it) for files that exist but are not HDF5 or cannot be opened. Call under lock_hdf5().
absl::StatusOr<H5File> open_shard_file(const std::string& path, absl::string_view context,
                                     absl::string_view hint) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::NotFoundError(absl::StrCat(context, ": no such file"));
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return absl::DataLossError(absl::StrCat(
        context, ": not an HDF5 file (corrupt, truncated or not a shard); ", hint));
  }
  H5File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file.valid()) {
    return hdf5_error(absl::StatusCode::kDataLoss, context,
                     absl::StrCat("cannot open the HDF5 file; ", hint));
  }
  return file;
}

// The value of an open string attribute, variable-length (what h5py writes for str) or fixed-length
// (numpy bytes). Fails with InvalidArgument when it is not a string, DataLoss when unreadable; the
// caller adds the context.
absl::StatusOr<std::string> read_string_attribute_value(hid_t attribute) {
  H5Type file_type(H5Aget_type(attribute));
  if (!file_type.valid() || H5Tget_class(file_type.get()) != H5T_STRING) {
    return absl::InvalidArgumentError("is not a string");
  }
  if (H5Tis_variable_str(file_type.get()) > 0) {
    H5Type mem_type = make_utf8_string_type();
    char* text = nullptr;
    if (H5Aread(attribute, mem_type.get(), &text) < 0 || text == nullptr) {
      return absl::DataLossError("is unreadable");
    }
    std::string value(text);
    H5free_memory(text);
    return value;
  }
  const size_t size = H5Tget_size(file_type.get());
  H5Type mem_type(H5Tcopy(H5T_C_S1));
  H5Tset_size(mem_type.get(), size);
  std::string value(size, '\0');
  if (H5Aread(attribute, mem_type.get(), value.data()) < 0) return absl::DataLossError("is unreadable");
  value.erase(std::min(value.find('\0'), value.size()));
  return value;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ShardFileReader>> ShardFileReader::open_any(
    const std::string& path) {
  return open_checked(path, nullptr);
}

absl::StatusOr<std::unique_ptr<ShardFileReader>> ShardFileReader::open(const std::string& path,
                                                                       Modality modality) {
  return open_checked(path, &modality);
}

absl::StatusOr<std::unique_ptr<ShardFileReader>> ShardFileReader::open_checked(
    const std::string& path, const Modality* expected) {
  auto lock = lock_hdf5();
  std::unique_ptr<ShardFileReader> r(new ShardFileReader());
  r->path_ = path;
  r->context_ = absl::StrCat("shard ", path);
  if (expected != nullptr) r->modality_ = *expected;  // names the repack command until read
  absl::StatusOr<H5File> file =
      open_shard_file(path, r->context_, expected != nullptr ? repack_hint(*expected) : "re-pack it");
  if (!file.ok()) return file.status();
  r->file_ = std::move(*file);
  absl::StatusOr<std::string> format = r->string_attribute("", kFormatAttr);
  if (!format.ok()) return format.status();
  if (*format != kFormatValue) {
    return absl::InvalidArgumentError(absl::StrCat(r->context_, ": format attribute is '", *format,
                                                   "', expected '", kFormatValue,
                                                   "'; this is not a tetra shard"));
  }
  absl::StatusOr<int64_t> version = r->int_attribute("", kVersionAttr);
  if (!version.ok()) return version.status();
  if (*version > kShardFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        r->context_, ": format_version ", *version, " is newer than this build supports (",
        kShardFormatVersion, "); rebuild tetra or repack"));
  }
  if (*version < 1) {
    return r->corrupt(absl::StrCat("format_version ", *version, " is not a valid version"));
  }
  r->version_ = static_cast<int>(*version);
  absl::StatusOr<std::string> modality = r->string_attribute("", kModalityAttr);
  if (!modality.ok()) return modality.status();
  Modality stored = Modality::kImage;
  if (!parse_modality_disk_name(*modality, &stored)) {
    return absl::InvalidArgumentError(
        absl::StrCat(r->context_, ": unknown modality '", *modality, "'"));
  }
  if (expected != nullptr && stored != *expected) {
    const char* name = modality_disk_name(*expected);
    const char* article = std::string_view("aeiou").find(name[0]) == std::string_view::npos ? "a"
                                                                                           : "an";
    return absl::InvalidArgumentError(absl::StrCat(r->context_, ": holds modality '", *modality,
                                                   "', but ", article, " ", name,
                                                   " shard was expected"));
  }
  r->modality_ = stored;
  absl::StatusOr<int64_t> count = r->int_attribute("", kNumSamplesAttr);
  if (!count.ok()) return count.status();
  if (*count < 0) return r->corrupt(absl::StrCat("num_samples is ", *count));
  r->num_samples_ = *count;
  return r;
}

ShardFileReader::~ShardFileReader() {
  auto lock = lock_hdf5();
  open_.clear();
  file_.reset();
}

absl::Status ShardFileReader::corrupt(const std::string& what) const {
  return absl::DataLossError(absl::StrCat(context_, ": ", what, "; ", repack_hint(modality_)));
}

bool ShardFileReader::has(const std::string& name) const {
  auto lock = lock_hdf5();
  // H5Lexists needs every parent to exist, so walk the path.
  std::string prefix;
  size_t start = 0;
  while (true) {
    const size_t slash = name.find('/', start);
    prefix = name.substr(0, slash);
    if (H5Lexists(file_.get(), prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

absl::StatusOr<hid_t> ShardFileReader::open_dataset(const std::string& name) const {
  auto it = open_.find(name);
  if (it != open_.end()) return it->second.get();
  if (!has(name)) return corrupt(absl::StrCat(name, " is missing"));
  // No chunk cache: an uncompressed chunk is then read straight from the file, so a row range
  // read touches only its own bytes.
  H5PropertyList access(H5Pcreate(H5P_DATASET_ACCESS));
  H5Pset_chunk_cache(access.get(), 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT);
  H5Dataset dataset(H5Dopen2(file_.get(), name.c_str(), access.get()));
  if (!dataset.valid()) {
    return hdf5_error(absl::StatusCode::kDataLoss, context_, absl::StrCat("cannot open ", name));
  }
  const hid_t id = dataset.get();
  open_.emplace(name, std::move(dataset));
  return id;
}

absl::StatusOr<std::vector<hsize_t>> ShardFileReader::shape(const std::string& name) const {
  auto lock = lock_hdf5();
  absl::StatusOr<hid_t> dataset = open_dataset(name);
  if (!dataset.ok()) return dataset.status();
  H5Space space(H5Dget_space(*dataset));
  const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0) return corrupt(absl::StrCat(name, " has no readable shape"));
  std::vector<hsize_t> dims(rank);
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

absl::Status ShardFileReader::read_column_into(const std::string& name, hid_t mem_type,
                                             hsize_t count, void* out) const {
  if (count == 0) return absl::OkStatus();
  auto lock = lock_hdf5();
  absl::StatusOr<hid_t> dataset = open_dataset(name);
  if (!dataset.ok()) return dataset.status();
  if (H5Dread(*dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
    return hdf5_error(absl::StatusCode::kDataLoss, context_, absl::StrCat("cannot read ", name));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ShardFileReader::strings(const std::string& name,
                                                                  hsize_t count) const {
  absl::StatusOr<std::vector<hsize_t>> dims = shape(name);
  if (!dims.ok()) return dims.status();
  if (dims->size() != 1 || (*dims)[0] != count) {
    return corrupt(absl::StrCat(name, " must hold ", count, " strings"));
  }
  auto lock = lock_hdf5();
  H5Type type = make_utf8_string_type();
  std::vector<char*> pointers(count, nullptr);
  if (absl::Status s = read_column_into(name, type.get(), count, pointers.data()); !s.ok()) return s;
  std::vector<std::string> values;
  values.reserve(count);
  for (char* p : pointers) {
    values.emplace_back(p == nullptr ? "" : p);
    H5free_memory(p);
  }
  return values;
}

absl::StatusOr<H5Attribute> ShardFileReader::open_attribute(const std::string& object,
                                                      const char* name) const {
  const char* where = object.empty() ? "/" : object.c_str();
  if (H5Aexists_by_name(file_.get(), where, name, H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return corrupt(absl::StrCat("attribute ", object, "@", name, " is missing"));
  }
  H5Attribute attr(H5Aopen_by_name(file_.get(), where, name, H5P_DEFAULT, H5P_DEFAULT));
  if (!attr.valid()) return corrupt(absl::StrCat("attribute ", object, "@", name, " is unreadable"));
  return attr;
}

absl::StatusOr<int64_t> ShardFileReader::int_attribute(const std::string& object,
                                                      const char* name) const {
  auto lock = lock_hdf5();
  absl::StatusOr<H5Attribute> attr = open_attribute(object, name);
  if (!attr.ok()) return attr.status();
  int64_t value = 0;
  if (H5Aread(attr->get(), H5T_NATIVE_INT64, &value) < 0) {
    return hdf5_error(absl::StatusCode::kDataLoss, context_,
                     absl::StrCat("attribute ", object, "@", name, " is not an integer"));
  }
  return value;
}

absl::StatusOr<std::string> ShardFileReader::string_attribute(const std::string& object,
                                                             const char* name) const {
  auto lock = lock_hdf5();
  absl::StatusOr<H5Attribute> attr = open_attribute(object, name);
  if (!attr.ok()) return attr.status();
  absl::StatusOr<std::string> value = read_string_attribute_value(attr->get());
  if (!value.ok()) {
    return corrupt(absl::StrCat("attribute ", object, "@", name, " ", value.status().message()));
  }
  return value;
}

absl::Status ShardFileReader::read_rows(const std::string& name, hid_t mem_type, hsize_t first,
                                       hsize_t rows, void* out) const {
  if (rows == 0) return absl::OkStatus();
  auto lock = lock_hdf5();
  absl::StatusOr<hid_t> dataset = open_dataset(name);
  if (!dataset.ok()) return dataset.status();
  H5Space file_space(H5Dget_space(*dataset));
  const int rank = H5Sget_simple_extent_ndims(file_space.get());
  std::vector<hsize_t> dims(rank);
  H5Sget_simple_extent_dims(file_space.get(), dims.data(), nullptr);
  if (first + rows > dims[0]) {
    return corrupt(absl::StrCat(name, ": rows [", first, ", ", first + rows, ") are outside its ",
                                dims[0], " rows"));
  }
  H5Space mem_space = select_rows(file_space.get(), dims, first, rows);
  if (mem_space.get() < 0 ||
      H5Dread(*dataset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, out) < 0) {
    return hdf5_error(absl::StatusCode::kDataLoss, context_,
                     absl::StrCat("cannot read rows [", first, ", ", first + rows, ") of ", name));
  }
  return absl::OkStatus();
}

}  // namespace tetra::data
