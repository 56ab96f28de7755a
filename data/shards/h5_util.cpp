#include "data/shards/h5_util.h"

#include "absl/strings/str_cat.h"

namespace tetra::data {
namespace {

herr_t keep_innermost(unsigned depth, const H5E_error2_t* error, void* out) {
  auto* message = static_cast<std::string*>(out);
  if (message->empty() && error->desc != nullptr && error->desc[0] != '\0') *message = error->desc;
  return 0;
}

}  // namespace

std::unique_lock<std::recursive_mutex> lock_hdf5() {
  static std::recursive_mutex mutex;
  std::unique_lock<std::recursive_mutex> lock(mutex);
  thread_local bool quiet = false;
  if (!quiet) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    quiet = true;
  }
  return lock;
}

std::string take_hdf5_error() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, &message);
  H5Eclear2(H5E_DEFAULT);
  return message.empty() ? "no HDF5 detail" : message;
}

absl::Status hdf5_error(absl::StatusCode code, absl::string_view context, absl::string_view what) {
  return absl::Status(code, absl::StrCat(context, ": ", what, " (HDF5: ", take_hdf5_error(), ")"));
}

H5Type make_utf8_string_type() {
  H5Type type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

H5Space select_rows(hid_t file_space, const std::vector<hsize_t>& dims, hsize_t first, hsize_t rows) {
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = first;
  count[0] = rows;
  if (H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) < 0)
    return H5Space(-1);
  return H5Space(H5Screate_simple(static_cast<int>(dims.size()), count.data(), nullptr));
}

}  // namespace tetra::data
