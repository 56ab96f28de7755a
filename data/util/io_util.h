// Data's file helpers. Durable publication (temp file, fsync, rename, fsync of the folder) is
// common/files.h's, the one implementation; the names below keep data's callers unchanged and
// forward to it. Reading adds a byte-vector form and a forgiving text form for state files.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/files.h"

namespace tetra::data {

absl::StatusOr<std::vector<uint8_t>> ReadFileBytes(const std::string& path);
// The whole file as text; empty when it cannot be read (for state files that may not exist yet).
std::string ReadTextOrEmpty(const std::string& path);

// fsync(from), rename(from, to), fsync(folder of `to`).
inline absl::Status PublishFile(const std::string& from, const std::string& to) {
  return common::publish_file(from, to);
}

// Writes `contents` to "<path>.tmp" and publishes it as `path`.
inline absl::Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  return common::write_file_atomic(path, contents);
}

}  // namespace tetra::data
