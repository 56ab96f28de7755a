#include "data/h5_util.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace tetra::data {
namespace {

herr_t KeepInnermost(unsigned depth, const H5E_error2_t* error, void* out) {
  auto* message = static_cast<std::string*>(out);
  if (message->empty() && error->desc != nullptr && error->desc[0] != '\0') *message = error->desc;
  return 0;
}

}  // namespace

std::unique_lock<std::recursive_mutex> LockHdf5() {
  static std::recursive_mutex mutex;
  std::unique_lock<std::recursive_mutex> lock(mutex);
  thread_local bool quiet = false;
  if (!quiet) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    quiet = true;
  }
  return lock;
}

std::string TakeHdf5Error() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, KeepInnermost, &message);
  H5Eclear2(H5E_DEFAULT);
  return message.empty() ? "no HDF5 detail" : message;
}

absl::Status Hdf5Error(absl::StatusCode code, absl::string_view context, absl::string_view what) {
  return absl::Status(code, absl::StrCat(context, ": ", what, " (HDF5: ", TakeHdf5Error(), ")"));
}

absl::StatusOr<H5File> OpenShardFile(const std::string& path, absl::string_view context,
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
    return Hdf5Error(absl::StatusCode::kDataLoss, context,
                     absl::StrCat("cannot open the HDF5 file; ", hint));
  }
  return file;
}

absl::StatusOr<std::string> ReadStringAttributeValue(hid_t attribute) {
  H5Type file_type(H5Aget_type(attribute));
  if (!file_type.valid() || H5Tget_class(file_type.get()) != H5T_STRING) {
    return absl::InvalidArgumentError("is not a string");
  }
  if (H5Tis_variable_str(file_type.get()) > 0) {
    H5Type mem_type = MakeUtf8StringType();
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

H5Type MakeUtf8StringType() {
  H5Type type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

}  // namespace tetra::data
