// The tasks of a curriculum stage (SPEC 4) and the data each one reads: every task has its own
// data::Loader over its modality's shards (own seed, own token budget, own resume cursor), and its
// batches become model::PackedTokens plus, for the semantic terms, the samples' text embeddings.
#pragma once
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "data/loader/loader.h"
#include "losses/loss_options.h"
#include "model/tokens.h"
#include "trainer/config/config.h"
#include "trainer/loop/task_cycle.h"

namespace tetra::trainer {

common::Modality task_modality(Task task);
// Understanding tasks run the encoder and the pooling head only; reconstruction tasks the whole
// autoencoder.
bool is_understanding(Task task);
const TaskConfig& task_config(const StageConfig& stage, Task task);
// The stage's mix as make_task_cycle() takes it: the tasks with a share > 0.
std::vector<TaskShare> task_mix(const StageConfig& stage);

// The `data:` keys of a modality: its section (common::modality_name: "image", "video", "3d") and
// its folders.
ModalityPaths& modality_paths(DataConfig& data, common::Modality modality);
const ModalityPaths& modality_paths(const DataConfig& data, common::Modality modality);
// Where the embedded dataset lives: data.embedded_dir, or <out_dir>/embedded-data.
std::string embedded_root(const Config& config);
// The shard folders of one modality: data.<m>.train/heldout, or the embedded dataset's.
std::string modality_dir(const Config& config, common::Modality modality, bool heldout);

// The loader of `task` in stage `stage_index` on rank `rank` of `world`.
data::LoaderOptions task_loader_options(const Config& config, size_t stage_index, Task task, int64_t rank, int64_t world);
// Held-out evaluation of `modality` at stage `stage_index`'s resolution: centred, in file order.
data::LoaderOptions heldout_loader_options(const Config& config, size_t stage_index, common::Modality modality);

struct TaskBatch {
  Task task;
  model::PackedTokens tokens;       // on the CPU
  torch::Tensor text_embeddings;    // [B, D] float, undefined when the samples carry none
  data::LoaderCursor next;
};

// loader batch -> tokens (+ text embeddings when every sample has one)
TaskBatch to_task_batch(Task task, data::Batch&& batch);

// The task loaders of one stage on this rank. Cursors are keyed by task name ("image_rec").
class TaskFeeds {
 public:
  static absl::StatusOr<std::unique_ptr<TaskFeeds>> Create(const Config& config, size_t stage_index,
                                                          const std::map<std::string, data::LoaderCursor>& start,
                                                          int64_t rank, int64_t world);
  absl::StatusOr<TaskBatch> next(Task task);
  const std::map<std::string, data::LoaderCursor>& cursors() const { return cursors_; }
  int64_t skipped_samples() const;  // corrupt samples skipped so far, all tasks

 private:
  std::map<Task, std::unique_ptr<data::Loader>> loaders_;
  std::map<std::string, data::LoaderCursor> cursors_;
};

}  // namespace tetra::trainer
