// tetra-eval's work: evaluate any checkpoint on any held-out data, outside a training run.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace tetra::trainer {

struct EvalCheckpointOptions {
  std::string checkpoint;  // a checkpoint folder (step-NNNNNNNNN)
  std::string data;        // held-out data: see data_folders(); empty: the run's own held-out data
  std::string config;      // empty: the run's resolved config.yaml, two folders above the checkpoint
  std::vector<std::string> overrides;  // --set KEY=VALUE on that config
  bool ema = false;        // evaluate the EMA weights instead of the live ones
  std::string device = "cpu";
};

struct EvalCheckpointReport {
  int64_t step = 0;
  std::string stage;
  std::vector<std::string> data_folders;  // what was read, per modality
  std::vector<std::pair<std::string, double>> metrics;
};

// Verifies the checkpoint (manifest and hashes), shapes the model as its stage had it, loads the
// weights and scores every modality found under `data`: a folder of shards (one modality, read from
// the files), or a folder with image/, video/ and mesh/ (or 3d/) subfolders, each holding shards or
// a heldout/ subfolder of them (the embedded dataset's layout).
absl::StatusOr<EvalCheckpointReport> evaluate_checkpoint(const EvalCheckpointOptions& options);

}  // namespace tetra::trainer
