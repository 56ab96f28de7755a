// Generic shard files for the image, video and mesh layouts and the optional /text group
// (docs/data-format.md): a writer that appends large per-sample payloads to chunked, extendible
// datasets as samples arrive (memory stays bounded by one sample, not one shard), and a reader that
// checks the header and reads row ranges. All HDF5 calls run under lock_hdf5().
#pragma once
#include <hdf5.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "data/shards/h5_util.h"
#include "data/shards/modality.h"

namespace tetra::data {

// The root attributes every shard carries (docs/data-format.md).
namespace shard_root {
inline constexpr char kFormatAttr[] = "format";
inline constexpr char kFormatValue[] = "tetra-shard";
inline constexpr char kVersionAttr[] = "format_version";
inline constexpr char kModalityAttr[] = "modality";
inline constexpr char kNumSamplesAttr[] = "num_samples";
}  // namespace shard_root

// IEEE binary16, little-endian: what h5py reads as numpy float16. HDF5 1.10 has no predefined one.
H5Type make_half_type();

class ShardFileWriter {
 public:
  // Creates "<path>.tmp"; finish() publishes it as `path` (fsync + rename), so a shard exists whole
  // or not at all.
  static absl::StatusOr<std::unique_ptr<ShardFileWriter>> create(const std::string& path,
                                                                 Modality modality);
  // Copies an existing shard to "<path>.tmp" and opens the copy for adding datasets (captions);
  // finish() then replaces the original atomically. Root attributes are kept as they are.
  static absl::StatusOr<std::unique_ptr<ShardFileWriter>> edit(const std::string& path);
  ~ShardFileWriter();  // an unfinished file is removed
  absl::Status remove_group(const std::string& name);  // no-op when absent

  // An extendible table of rows shaped `row_dims` (empty = scalars), chunked by `chunk_rows` rows,
  // optionally deflate-compressed (level 1..9; 0 = none). `name` is "group/dataset".
  absl::Status define_table(const std::string& name, hid_t file_type,
                           const std::vector<hsize_t>& row_dims, hsize_t chunk_rows, int deflate);
  absl::Status append(const std::string& name, hid_t mem_type, const void* data, hsize_t rows);
  hsize_t rows(const std::string& name) const;

  // Fixed-size 1-D datasets and attributes, written at once. `chunk` > 0: chunked layout with that
  // many elements per chunk and no filter; 0: contiguous.
  absl::Status write_column(const std::string& name, hid_t file_type, hid_t mem_type,
                           const void* data, hsize_t count, hsize_t chunk = 0);
  absl::Status write_strings(const std::string& name, const std::vector<std::string>& values);
  absl::Status write_int_attribute(const std::string& object, const char* name, int64_t value);
  absl::Status write_string_attribute(const std::string& object, const char* name,
                                    const std::string& value);

  // Writes the root attributes (format, version, modality, num_samples; not when editing), closes
  // and publishes.
  absl::Status finish(int64_t num_samples);
  const std::string& path() const { return path_; }

 private:
  ShardFileWriter(std::string path, Modality modality) : path_(std::move(path)), modality_(modality) {}
  absl::StatusOr<hid_t> Group(const std::string& name);  // creates parents on demand
  absl::Status failed(const std::string& what) const;

  std::string path_;
  Modality modality_;
  H5File file_;
  std::map<std::string, H5Group> groups_;
  std::map<std::string, H5Dataset> tables_;
  std::map<std::string, hsize_t> rows_;
  std::map<std::string, hsize_t> row_elems_;
  bool finished_ = false;
  bool editing_ = false;
};

class ShardFileReader {
 public:
  // Checks format, version (at most kShardFormatVersion) and modality; errors name the file and
  // suggest a fix.
  static absl::StatusOr<std::unique_ptr<ShardFileReader>> open(const std::string& path,
                                                               Modality modality);
  // Opens any tetra shard and reports its modality (inspect, pack captions).
  static absl::StatusOr<std::unique_ptr<ShardFileReader>> open_any(const std::string& path);
  ~ShardFileReader();

  const std::string& path() const { return path_; }
  Modality modality() const { return modality_; }
  int format_version() const { return version_; }
  int64_t num_samples() const { return num_samples_; }

  bool has(const std::string& name) const;
  // Dimensions of dataset `name`.
  absl::StatusOr<std::vector<hsize_t>> shape(const std::string& name) const;
  // A whole 1-D column that must hold `count` values (kAnyCount: any).
  template <typename T>
  absl::StatusOr<std::vector<T>> column(const std::string& name, hid_t mem_type,
                                        hsize_t count) const;
  absl::StatusOr<std::vector<std::string>> strings(const std::string& name, hsize_t count) const;
  absl::StatusOr<int64_t> int_attribute(const std::string& object, const char* name) const;
  absl::StatusOr<std::string> string_attribute(const std::string& object, const char* name) const;
  // Rows [first, first + rows) along dimension 0 into `out` (rows * row_elems values of mem_type).
  absl::Status read_rows(const std::string& name, hid_t mem_type, hsize_t first, hsize_t rows,
                        void* out) const;

  absl::Status corrupt(const std::string& what) const;  // DataLoss naming the file + repack hint
  static constexpr hsize_t kAnyCount = ~hsize_t{0};

 private:
  ShardFileReader() = default;
  // `expected` null: any modality.
  static absl::StatusOr<std::unique_ptr<ShardFileReader>> open_checked(const std::string& path,
                                                                      const Modality* expected);
  absl::StatusOr<hid_t> open_dataset(const std::string& name) const;
  absl::StatusOr<H5Attribute> open_attribute(const std::string& object, const char* name) const;
  absl::Status read_column_into(const std::string& name, hid_t mem_type, hsize_t count,
                              void* out) const;

  std::string path_;
  std::string context_;
  Modality modality_ = Modality::kImage;
  int version_ = 0;
  int64_t num_samples_ = 0;
  H5File file_;
  mutable std::map<std::string, H5Dataset> open_;
};

template <typename T>
absl::StatusOr<std::vector<T>> ShardFileReader::column(const std::string& name, hid_t mem_type,
                                                       hsize_t count) const {
  absl::StatusOr<std::vector<hsize_t>> dims = shape(name);
  if (!dims.ok()) return dims.status();
  if (dims->size() != 1 || (count != kAnyCount && (*dims)[0] != count)) {
    return corrupt(name + " has the wrong shape (expected " +
                   (count == kAnyCount ? std::string("1-D") : std::to_string(count) + " values") +
                   ")");
  }
  std::vector<T> values((*dims)[0]);
  if (absl::Status s = read_column_into(name, mem_type, values.size(), values.data()); !s.ok()) {
    return s;
  }
  return values;
}

}  // namespace tetra::data
