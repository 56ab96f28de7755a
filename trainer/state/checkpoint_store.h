// Checkpoints (docs/checkpoint-format.md): one folder per step, written into a temp folder by every
// rank (each into its own rank-NNNNN/ subfolder, rank 0 also the files every rank reads), every file
// fsynced and hashed by the rank that wrote it; rank 0 then writes MANIFEST.json (sizes + SHA-256 of
// every file of every rank) last and renames the folder into place. A checkpoint without a valid
// manifest does not exist; loading verifies every hash and falls back to the previous checkpoint
// when one is corrupt.
#pragma once
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "parallel/communicator.h"

namespace tetra::trainer {

// 3: the staged curriculum (stage, per-task data cursors, SigLIP parameters in model.pt).
// 2: per-rank folders and sharded optimizer state (data parallelism). 1: single-process layout.
inline constexpr int kCheckpointFormatVersion = 3;

struct CheckpointInfo {
  int64_t step = 0;
  std::string dir;
};

std::string rank_folder_name(int64_t rank);  // "rank-00003"

class CheckpointStore {
 public:
  CheckpointStore(std::string root, int64_t keep_last);

  // Called on every rank: `rank_dir` is this rank's own folder; `shared_dir` is the checkpoint folder
  // itself on rank 0 (for files every rank reads) and empty on the other ranks.
  using WriteFiles = std::function<absl::Status(const std::string& shared_dir, const std::string& rank_dir)>;

  // Collective over `comm`: every rank writes its files, then rank 0 writes the manifest (with
  // `manifest_extra` merged in) and commits the folder as step-<step>; older checkpoints beyond
  // keep_last are removed. Every rank returns the same status.
  absl::StatusOr<CheckpointInfo> save(int64_t step, parallel::Communicator& comm, const WriteFiles& write_files,
                                      const nlohmann::json& manifest_extra = nlohmann::json::object());
  // One process: write_files fills the checkpoint folder.
  absl::StatusOr<CheckpointInfo> save(int64_t step,
                                      const std::function<absl::Status(const std::string& dir)>& write_files);

  // Committed checkpoints, newest first (manifest present; not yet verified).
  std::vector<CheckpointInfo> list() const;

  // Newest checkpoint whose manifest and file hashes verify. Each rejected one adds a line to
  // `rejected` naming the folder and the reason. NotFound when none is usable.
  absl::StatusOr<CheckpointInfo> latest_valid(std::vector<std::string>* rejected) const;

  static absl::Status verify(const std::string& dir);
  static absl::StatusOr<nlohmann::json> read_manifest(const std::string& dir);
  const std::string& root() const { return root_; }

 private:
  void prune() const;
  std::string root_;
  int64_t keep_last_;
};

}  // namespace tetra::trainer
