#include "trainer/eval/eval_checkpoint.h"

#include <torch/torch.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "data/shards/inspect.h"
#include "data/shards/image_shard.h"
#include "parallel/self_communicator.h"
#include "trainer/state/checkpoint_files.h"
#include "trainer/state/checkpoint_store.h"
#include "trainer/state/ema.h"
#include "trainer/eval/evaluate.h"
#include "trainer/state/training_state.h"
#include "trainer/loop/tasks.h"

namespace tetra::trainer {
namespace fs = std::filesystem;
namespace {

bool has_shards(const fs::path& dir) {
  auto shards = data::list_shards(dir.string());
  return shards.ok() && !shards->empty();
}

// Points the config's held-out folders at `root` and returns the modalities found there.
absl::StatusOr<std::vector<common::Modality>> point_at_data(const std::string& root, Config* config) {
  const auto& modalities = common::kAllModalities;
  config->data.source = "shards";
  for (common::Modality m : modalities) modality_paths(config->data, m) = ModalityPaths{};
  std::vector<common::Modality> found;
  if (has_shards(root)) {  // one modality: the files say which
    auto first = data::list_shards(root);
    auto modality = data::shard_modality(first->front());
    if (!modality.ok()) return modality.status();
    modality_paths(config->data, *modality).heldout = root;
    return std::vector<common::Modality>{*modality};
  }
  for (common::Modality m : modalities) {
    std::string& heldout = modality_paths(config->data, m).heldout;
    // The embedded layout names meshes "mesh"; a config names them "3d": either folder is taken.
    for (const char* name : {data::modality_disk_name(m), common::modality_name(m)}) {
      const fs::path dir = fs::path(root) / name;
      if (!heldout.empty()) break;
      if (has_shards(dir / "heldout")) heldout = (dir / "heldout").string();
      else if (has_shards(dir)) heldout = dir.string();
    }
    if (!heldout.empty()) found.push_back(m);
  }
  if (found.empty())
    return absl::NotFoundError(absl::StrCat("--data ", root, ": no shards there, nor in image/, video/, mesh/ or 3d/ "
                                            "(or their heldout/) subfolders; pack some with `tetra-data pack`"));
  return found;
}

}  // namespace

absl::StatusOr<EvalCheckpointReport> evaluate_checkpoint(const EvalCheckpointOptions& options) {
  if (auto s = CheckpointStore::verify(options.checkpoint); !s.ok()) return s;
  const fs::path run_dir = fs::path(options.checkpoint).parent_path().parent_path();
  const std::string config_path = options.config.empty() ? (run_dir / "config.yaml").string() : options.config;
  auto config = load_config(config_path, options.overrides);
  if (!config.ok()) return config.status();
  auto position = read_position(options.checkpoint);
  if (!position.ok()) return position.status();
  const size_t stage = static_cast<size_t>(std::min<int64_t>(position->stage, static_cast<int64_t>(config->stages.size()) - 1));
  std::vector<common::Modality> modalities(std::begin(common::kAllModalities), std::end(common::kAllModalities));
  if (!options.data.empty()) {
    auto found = point_at_data(options.data, &*config);
    if (!found.ok()) return found.status();
    modalities = *found;
  }
  const torch::Device device(options.device == "cuda" ? torch::kCUDA : torch::kCPU);
  // The run's thread count: with it, CPU results match the trainer's evaluation bit for bit.
  if (config->run.threads > 0) torch::set_num_threads(static_cast<int>(config->run.threads));

  Trainable trainable = make_trainable(*config);
  shape_for_stage(trainable->model, stage_shape(*config, stage));
  WeightEma ema(*trainable, 0.0);
  if (auto s = load_weights(options.checkpoint, trainable, options.ema ? &ema : nullptr, torch::kCPU,
                            "tetra-eval --checkpoint",
                            absl::StrCat("the model of ", config_path, "; pass the run's own --config"));
      !s.ok())
    return s;
  if (options.ema) ema.swap_into_model();
  trainable->to(device);
  auto sets = load_heldout(*config, stage, modalities, device);
  if (!sets.ok()) return sets.status();
  if (sets->empty())
    return absl::NotFoundError(absl::StrCat("no held-out data to evaluate: give --data, or a run whose config names "
                                            "data.<modality>.heldout folders"));
  EvalCheckpointReport report;
  report.step = position->step;
  report.stage = config->stages[stage].name;
  for (common::Modality m : modalities) report.data_folders.push_back(modality_dir(*config, m, /*heldout=*/true));
  parallel::SelfCommunicator self;
  report.metrics =
      evaluate(trainable->model, *sets, patch_size(config->model), self, options.ema ? "eval_ema" : "eval", 0, trainable->siglip).metrics;
  return report;
}

}  // namespace tetra::trainer
