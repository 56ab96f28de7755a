// Durable files, the one implementation for every folder. A write goes to "<path>.tmp", is fsynced,
// renamed over `path` and the folder is fsynced, so a reader (or a restart after a crash) sees the
// old file or the new one, never half of one. Errors carry the errno's status code (NotFound,
// PermissionDenied, ...) and name the path.
#pragma once
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tetra::common {

// Flushes a file's data, or a folder's entries, to stable storage. "" means the current folder.
absl::Status fsync_path(const std::string& path);

// fsync(from), rename(from, to), fsync(folder of `to`): publishes a finished file under its name.
absl::Status publish_file(const std::string& from, const std::string& to);

// Writes `content` to "<path>.tmp" and publishes it as `path` (replacing any old file).
absl::Status write_file_atomic(const std::string& path, std::string_view content);

// The whole file. NotFound when it does not exist.
absl::StatusOr<std::string> read_file(const std::string& path);

// SHA-256 as 64 lowercase hex digits: of a file's bytes (streamed), or of bytes in memory.
absl::StatusOr<std::string> sha256_file(const std::string& path);
std::string sha256_hex(std::string_view bytes);

}  // namespace tetra::common
