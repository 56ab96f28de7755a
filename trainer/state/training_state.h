// The training state: everything a resumed run must restore, the transitions it goes through, and
// its persistence. One class, so that a new capability (a stage transition, another parallel
// layout, a new piece of state) changes one place.
//
// What it holds. Shared by all ranks: the weights (identical on every replica) and the EMA, written
// by rank 0, and where the curriculum stands (step, stage, step in stage). Per rank: the optimizer
// state it owns (all of it on rank 0 without ZeRO-1, its shard on every rank with it), its task
// loaders' cursors and its latent-noise generator.
//
// Transitions (SPEC 4), each collective over the data-parallel group:
//   create         the model of stage 0, its data-parallel wrapper, optimizer and EMA
//   enter_stage    the stage's shape: the latent widens (zero rows and columns: outputs unchanged;
//                  optimizer moments and EMA follow), or the bottleneck turns discrete (FSQ)
//   start_fresh    run.start_stage / run.init_from: another run's weights and EMA, step counter
//                  after the skipped stages
//   resume         a checkpoint of this run, at the same or another world size
//   next_stage     fresh task loaders for the next stage
// The step (trainer/step.h) reads and updates the public members directly.
//
// Persistence: save() writes a checkpoint folder through CheckpointStore (checkpoint_store.h) with
// the files of checkpoint_files.h; resume() and start_fresh() read it back through the same code.
#pragma once
#include <torch/types.h>

#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "data/loader/loader.h"
#include "losses/composer.h"
#include "parallel/data_parallel.h"
#include "trainer/config/config.h"
#include "trainer/state/checkpoint_store.h"
#include "trainer/state/ema.h"
#include "trainer/state/optim.h"
#include "trainer/state/trainable.h"

namespace tetra::trainer {

// The patch of the `model:` section (SPEC 1: 4 x 16 x 16 x RGB by default): model.patch.
model::PatchSize patch_size(const ModelConfig& model);
// The tokenizer plus the SigLIP pair, as checkpoints store them (model.pt).
Trainable make_trainable(const Config& config);

// The latent shape the model has during stage `stage`: the widest latent_channels of the stages
// up to it (model.latent_channels before any), and that stage's `discrete`.
struct StageShape {
  int64_t latent_channels = 0;
  bool discrete = false;
};
StageShape stage_shape(const Config& config, size_t stage);
// Brings a model that is not being trained (tetra-eval) to a stage's shape.
void shape_for_stage(model::Tokenizer& model, const StageShape& shape);

// Each rank's latent noise has its own stream; rank 0's is the single-process one (seed + 1).
at::Generator make_latent_rng(const Config& config, int64_t rank, int64_t step);

class TrainingState {
 public:
  // `config` must outlive the state.
  static absl::StatusOr<std::unique_ptr<TrainingState>> create(const Config& config, const parallel::Group& group,
                                                               torch::Device device);

  // --- transitions --------------------------------------------------------------------------
  // Does nothing when the model already has the stage's shape, so calling it again after a resume
  // is harmless. Under ZeRO-1 the optimizer state is gathered once to be widened.
  absl::Status enter_stage(size_t stage, std::ostream& log);
  // Widens the latent to `channels` (nothing when it is already that wide).
  absl::Status widen_to(int64_t channels, std::ostream& log);
  // A new data-parallel wrapper and optimizer for the current parameter list (fresh optimizer state).
  absl::Status rebuild_optimizer();
  // A fresh run: begins at run.start_stage, from run.init_from's weights and EMA when given.
  // Returns what to tell the user ("" when there is nothing to say).
  absl::StatusOr<std::string> start_fresh();
  // The next stage starts with fresh task loaders.
  void next_stage();

  // --- persistence --------------------------------------------------------------------------
  // Stops with an error when the replicas' weights are no longer bitwise equal (which data
  // parallelism must guarantee).
  absl::StatusOr<CheckpointInfo> save(CheckpointStore& store);
  // Every rank reads the folder: the same world size restores everything exactly; another one
  // reshards the optimizer state and moves each task's data cursor by data::Loader::resume_cursor's
  // rule. The model must already have the checkpoint stage's shape (enter_stage). Notes for the
  // user (what was resharded) go to `log`.
  absl::Status resume(const std::string& dir, std::ostream& log);

  const Config& config() const { return config_; }

  // --- the state itself (the step reads and updates it) --------------------------------------
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

 private:
  explicit TrainingState(const Config& config) : config_(config) {}
  absl::Status widen_latent(int64_t channels);
  torch::Device device() const;
  const Config& config_;
};

}  // namespace tetra::trainer
