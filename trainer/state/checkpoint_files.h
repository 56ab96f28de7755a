// What the files inside one checkpoint folder hold, and the one reader and writer of each
// (docs/checkpoint-format.md). The folder itself (temp folder, manifest, commit, pruning) is
// CheckpointStore's business; what goes into it is this file's:
//
//   model.pt       the Trainable (tokenizer + SigLIP pair) in its stage's shape      rank 0
//   ema.pt         the EMA shadow of every parameter                                 rank 0
//   state.json     where the curriculum stands (CheckpointPosition), for humans too  rank 0
//   rank-R/optimizer.pt   AdamW state: whole on rank 0, or rank R's ZeRO-1 shard      per rank
//   rank-R/state.pt       RankState: position, task cursors, latent-noise generator  per rank
//
// Every reader returns a Status that names the file and keeps the cause: DataLoss for a file that
// is damaged or unreadable, FailedPrecondition for one that is fine but does not fit this model.
#pragma once
#include <torch/types.h>

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "data/loader/loader.h"
#include "trainer/state/ema.h"
#include "trainer/state/trainable.h"

namespace tetra::trainer {

inline constexpr char kModelFile[] = "model.pt";
inline constexpr char kEmaFile[] = "ema.pt";
inline constexpr char kOptimizerFile[] = "optimizer.pt";
inline constexpr char kRankStateFile[] = "state.pt";
inline constexpr char kPositionFile[] = "state.json";

// Where a checkpoint was written (state.json): its stage shapes the model before the weights load.
struct CheckpointPosition {
  int64_t step = 0;
  int64_t stage = 0;
  std::string stage_name;
  int64_t latent_channels = 0;
};
absl::StatusOr<CheckpointPosition> read_position(const std::string& dir);

// model.pt and ema.pt into `dir`.
absl::Status save_weights(const std::string& dir, Trainable& trainable, const WeightEma& ema);

// The one weight loader: resume, run.init_from and tetra-eval all read model.pt (and ema.pt when
// `ema` is given) through it. The model must already have the checkpoint's stage shape. `who` says
// which setting asked ("run.init_from", "--resume", "tetra-eval --checkpoint") and `fix` what the
// user should check; both go into the error, which keeps LibTorch's own message as the cause.
// Does not verify the manifest: callers do that first (CheckpointStore::verify / latest_valid).
absl::Status load_weights(const std::string& dir, Trainable& trainable, WeightEma* ema, torch::Device device,
                          const std::string& who, const std::string& fix);

// One rank's own state.pt.
struct RankState {
  int64_t step = 0, stage = 0, stage_step = 0;
  std::map<std::string, data::LoaderCursor> cursors;  // by task name
  torch::Tensor latent_rng;                           // the generator's state bytes
};
absl::Status write_rank_state(const std::string& path, const RankState& state);
absl::StatusOr<RankState> read_rank_state(const std::string& path);

// {"image_rec": "<cursor>", ...}: how cursors travel in state.pt, state.json and between ranks.
std::string cursors_json(const std::map<std::string, data::LoaderCursor>& cursors);

}  // namespace tetra::trainer
