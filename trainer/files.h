// Durable file writes: temp file, fsync, rename, fsync of the folder. A reader never sees half a file.
#pragma once
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "losses/frozen.h"

namespace tetra::trainer {

absl::Status fsync_path(const std::string& path);  // a file or a directory
absl::Status write_file_atomic(const std::string& path, const std::string& content);
absl::StatusOr<std::string> read_file(const std::string& path);
absl::StatusOr<std::string> sha256_file(const std::string& path);  // lowercase hex
using losses::sha256_hex;  // of bytes in memory, lowercase hex

}  // namespace tetra::trainer
