// Small POSIX file helpers: whole-file reads and crash-safe publication (write a temporary, fsync it,
// rename over the final name, fsync the folder), so readers never see a half-written file.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tetra::data {

absl::StatusOr<std::vector<uint8_t>> ReadFileBytes(const std::string& path);
// The whole file as text; empty when it cannot be read (for state files that may not exist yet).
std::string ReadTextOrEmpty(const std::string& path);

// Flushes a file's data (or a folder's entries) to stable storage.
absl::Status FsyncPath(const std::string& path);
absl::Status FsyncDirectory(const std::string& dir);

// fsync(from), rename(from, to), fsync(folder of `to`).
absl::Status PublishFile(const std::string& from, const std::string& to);

// Writes `contents` to "<path>.tmp" and publishes it as `path`.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace tetra::data
