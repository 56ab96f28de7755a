// Thin RAII and error helpers over the HDF5 C API, private to tetra_data.
#pragma once
#include <hdf5.h>

#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tetra::data {

// Owns one hid_t and closes it with the matching H5?close. Predefined types (H5T_NATIVE_*) must
// never be wrapped: they are not ours to close.
template <herr_t (*Close)(hid_t)>
class H5Handle {
 public:
  H5Handle() = default;
  explicit H5Handle(hid_t id) : id_(id) {}
  ~H5Handle() { reset(); }
  H5Handle(H5Handle&& other) noexcept : id_(other.id_) { other.id_ = -1; }
  H5Handle& operator=(H5Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = other.id_;
      other.id_ = -1;
    }
    return *this;
  }
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Returns Close's result so callers that care (closing a written file) can check it.
  herr_t reset() {
    herr_t result = 0;
    if (id_ >= 0) result = Close(id_);
    id_ = -1;
    return result;
  }

 private:
  hid_t id_ = -1;
};

using H5File = H5Handle<H5Fclose>;
using H5Group = H5Handle<H5Gclose>;
using H5Dataset = H5Handle<H5Dclose>;
using H5Space = H5Handle<H5Sclose>;
using H5Type = H5Handle<H5Tclose>;
using H5Attribute = H5Handle<H5Aclose>;
using H5PropertyList = H5Handle<H5Pclose>;

// Every HDF5 call in tetra_data runs under this lock: the library may be a build without thread
// safety, and loader threads and the trainer both touch shards. Taking it also turns
// off HDF5's automatic error printing for the calling thread (the setting is per thread), because
// errors are reported through absl::Status instead.
std::unique_lock<std::recursive_mutex> lock_hdf5();

// The most specific message on the calling thread's HDF5 error stack, then clears the stack.
std::string take_hdf5_error();

// "<context>: <what> (<HDF5 message>)" as an absl::Status with `code`.
absl::Status hdf5_error(absl::StatusCode code, absl::string_view context, absl::string_view what);

// A variable-length UTF-8 string type (what h5py reads back as str).
H5Type make_utf8_string_type();

// Selects rows [first, first + rows) (whole along the other dimensions) in `file_space`; returns the
// matching memory space (negative handle when the selection fails).
H5Space select_rows(hid_t file_space, const std::vector<hsize_t>& dims, hsize_t first, hsize_t rows);

}  // namespace tetra::data
