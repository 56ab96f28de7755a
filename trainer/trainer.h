// Training of the tokenizer on images: L1 + KL, AdamW with warm-up + cosine, EMA, held-out
// evaluation, atomic checkpoints and exact resume; in one process, or data parallel over the ranks
// that mpirun/srun started (docs/distributed.md).
#pragma once
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trainer/config.h"

namespace tetra::trainer {

struct TrainOptions {
  bool resume = false;        // continue from the newest valid checkpoint in the run directory
  std::string config_origin;  // shown in logs
};

struct TrainSummary {
  int64_t steps_done = 0;
  double first_heldout_l1 = 0;  // at the start of this process (before its first step)
  double last_heldout_l1 = 0;
  std::string run_dir;
};

absl::StatusOr<TrainSummary> train(const Config& config, const TrainOptions& options);

}  // namespace tetra::trainer
