// Everything a resumed run must restore, and how it goes to and from a checkpoint folder
// (docs/checkpoint-format.md). Shared by all ranks: the weights (identical on every replica) and
// the EMA, written by rank 0, and where the curriculum stands (stage, step in stage). Per rank: the
// optimizer state it owns (all of it on rank 0 without ZeRO-1, its shard on every rank with it),
// its task loaders' cursors and its latent-noise generator.
#pragma once
#include <torch/types.h>

#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "data/loader/loader.h"
#include "losses/composer.h"
#include "parallel/data_parallel.h"
#include "trainer/checkpoint.h"
#include "trainer/config.h"
#include "trainer/ema.h"
#include "trainer/optim.h"
#include "trainer/trainable.h"

namespace tetra::trainer {

struct TrainingState {
  Trainable trainable{nullptr};
  model::Tokenizer model{nullptr};               // trainable->model
  std::unique_ptr<losses::LossComposer> losses;  // this stage's; frozen networks are never checkpointed
  std::unique_ptr<parallel::DataParallel> dp;
  Optimizer optimizer;
  std::unique_ptr<WeightEma> ema;
  at::Generator latent_rng;
  int64_t step = 0;        // optimizer steps since the run began, all stages
  int64_t stage = 0;       // index into Config::stages
  int64_t stage_step = 0;  // steps done in `stage`
  std::map<std::string, data::LoaderCursor> cursors;  // this rank's task loaders in `stage`, by task name
};

// The patch of the `model:` section (SPEC 1: 4 x 16 x 16 x RGB by default).
model::PatchSize patch_size(const ModelConfig& model);
// The tokenizer the `model:` section describes, before any stage's widening.
model::TokenizerOptions tokenizer_options(const ModelConfig& model);
// The tokenizer plus the SigLIP pair, as checkpoints store them (model.pt).
Trainable make_trainable(const Config& config);

// The model of stage 0, its data-parallel wrapper, optimizer and EMA on `group`'s device.
absl::Status init_training_state(TrainingState& s, const Config& config, const parallel::Group& group,
                                 torch::Device device);
// A new data-parallel wrapper and optimizer for the current parameter list (fresh optimizer state).
absl::Status rebuild_optimizer(TrainingState& s, const Config& config);

// Each rank's latent noise has its own stream; rank 0's is the single-process one (seed + 1).
at::Generator make_latent_rng(const Config& config, int64_t rank, int64_t step);

// Collective over the data-parallel group. Stops with an error when the replicas' weights are no
// longer bitwise equal (which data parallelism must guarantee).
absl::StatusOr<CheckpointInfo> save_checkpoint(CheckpointStore& store, TrainingState& state, const Config& config);

// Where a checkpoint was written (from its state.json): its stage shapes the model before loading.
struct CheckpointPosition {
  int64_t step = 0;
  int64_t stage = 0;
  std::string stage_name;
  int64_t latent_channels = 0;
};
absl::StatusOr<CheckpointPosition> checkpoint_position(const std::string& dir);

// A fresh run that starts from another run's checkpoint: its weights and EMA, nothing else (the
// optimizer, data cursors and step start anew). The model must already have the checkpoint's latent
// width (widen_to). Every rank reads the folder.
absl::Status load_weights(const std::string& dir, TrainingState& state);

// Every rank reads the folder: the same world size restores everything exactly; another one
// reshards the optimizer state and moves each task's data cursor by data::Loader::resume_cursor's
// rule. The model must already have the checkpoint stage's shape (enter_stage). Notes for the user
// (what was resharded) go to `log`.
absl::Status load_checkpoint(const std::string& dir, TrainingState& state, const Config& config, std::ostream& log);

}  // namespace tetra::trainer
