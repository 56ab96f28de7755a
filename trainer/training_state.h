// Everything a resumed run must restore, and how it goes to and from a checkpoint folder
// (docs/checkpoint-format.md). Shared by all ranks: the weights (identical on every replica) and
// the EMA, written by rank 0. Per rank: the optimizer state it owns (all of it on rank 0 without
// ZeRO-1, its shard on every rank with it), its data cursor and its latent-noise generator.
#pragma once
#include <torch/types.h>

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "data/stream.h"
#include "losses/composer.h"
#include "model/tokenizer.h"
#include "parallel/data_parallel.h"
#include "trainer/checkpoint.h"
#include "trainer/config.h"
#include "trainer/ema.h"
#include "trainer/optim.h"

namespace tetra::trainer {

struct TrainingState {
  model::Tokenizer model{nullptr};
  std::unique_ptr<losses::LossComposer> losses;  // frozen networks: never trained, never checkpointed
  std::unique_ptr<parallel::DataParallel> dp;
  Optimizer optimizer;
  std::unique_ptr<WeightEma> ema;
  at::Generator latent_rng;
  int64_t step = 0;
  data::StreamCursor cursor;
};

// Each rank's latent noise has its own stream; rank 0's is the single-process one (seed + 1).
at::Generator make_latent_rng(const Config& config, int64_t rank, int64_t step);

// Collective over the data-parallel group. Stops with an error when the replicas' weights are no
// longer bitwise equal (which data parallelism must guarantee).
absl::StatusOr<CheckpointInfo> save_checkpoint(CheckpointStore& store, TrainingState& state, const Config& config);

// Every rank reads the folder: the same world size restores everything exactly; another one
// reshards the optimizer state and moves the data cursors by trainer/data_cursor.h's rule.
// Notes for the user (what was resharded) go to `log`.
absl::Status load_checkpoint(const std::string& dir, TrainingState& state, const Config& config, std::ostream& log);

}  // namespace tetra::trainer
