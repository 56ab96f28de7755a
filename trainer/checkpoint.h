// Checkpoints (docs/checkpoint-format.md): one folder per step, written into a temp folder, every
// file fsynced, MANIFEST.json (sizes + SHA-256 of every file) written last, then the folder renamed
// into place. A checkpoint without a valid manifest does not exist; loading verifies every hash and
// falls back to the previous checkpoint when one is corrupt.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tetra::trainer {

inline constexpr int kCheckpointFormatVersion = 1;

struct CheckpointInfo {
  int64_t step = 0;
  std::string dir;
};

class CheckpointStore {
 public:
  CheckpointStore(std::string root, int64_t keep_last);

  // write_files fills the given (temporary) folder; then the manifest is written and the folder
  // committed as step-<step>. Older checkpoints beyond keep_last are removed afterwards.
  absl::StatusOr<CheckpointInfo> save(int64_t step,
                                      const std::function<absl::Status(const std::string& dir)>& write_files);

  // Committed checkpoints, newest first (manifest present; not yet verified).
  std::vector<CheckpointInfo> list() const;

  // Newest checkpoint whose manifest and file hashes verify. Each rejected one adds a line to
  // `rejected` naming the folder and the reason. NotFound when none is usable.
  absl::StatusOr<CheckpointInfo> latest_valid(std::vector<std::string>* rejected) const;

  static absl::Status verify(const std::string& dir);
  const std::string& root() const { return root_; }

 private:
  void prune() const;
  std::string root_;
  int64_t keep_last_;
};

}  // namespace tetra::trainer
