// The curriculum (SPEC 4): the config's stages in order, each a round-robin cycle of tasks over
// images, videos and 3D with its own losses and learning-rate schedule; latent widening and FSQ at
// the stage boundaries; AdamW, EMA carried across stages, held-out evaluation, TensorBoard, atomic
// checkpoints and exact resume at any step; in one process, or data parallel over the ranks that
// mpirun/srun started (docs/distributed.md).
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trainer/config/config.h"

namespace tetra::trainer {

struct TrainOptions {
  bool resume = false;        // continue from the newest valid checkpoint in the run directory
  std::string config_origin;  // shown in logs
};

struct TrainSummary {
  int64_t steps_done = 0;
  std::vector<std::pair<std::string, double>> last_eval;  // the final evaluation ("eval/image/psnr", ...)
  std::string run_dir;
};

absl::StatusOr<TrainSummary> train(const Config& config, const TrainOptions& options);

}  // namespace tetra::trainer
