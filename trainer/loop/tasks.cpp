#include "trainer/loop/tasks.h"

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "data/embedded/embedded.h"

namespace tetra::trainer {

common::Modality task_modality(Task task) {
  switch (task) {
    case Task::kImageReconstruction:
    case Task::kImageUnderstanding:
      return common::Modality::kImage;
    case Task::kVideoReconstruction:
    case Task::kVideoUnderstanding:
      return common::Modality::kVideo;
    case Task::k3dReconstruction:
    case Task::k3dUnderstanding:
      return common::Modality::k3d;
  }
  return common::Modality::kImage;
}

bool is_understanding(Task task) {
  return task == Task::kImageUnderstanding || task == Task::kVideoUnderstanding || task == Task::k3dUnderstanding;
}

const TaskConfig& task_config(const StageConfig& stage, Task task) {
  switch (task) {
    case Task::kImageReconstruction:
      return stage.tasks.image_rec;
    case Task::kImageUnderstanding:
      return stage.tasks.image_und;
    case Task::kVideoReconstruction:
      return stage.tasks.video_rec;
    case Task::kVideoUnderstanding:
      return stage.tasks.video_und;
    case Task::k3dReconstruction:
      return stage.tasks.m3d_rec;
    case Task::k3dUnderstanding:
      return stage.tasks.m3d_und;
  }
  return stage.tasks.image_rec;
}

std::vector<TaskShare> task_mix(const StageConfig& stage) {
  std::vector<TaskShare> mix;
  for (Task task : all_tasks())
    if (task_config(stage, task).share > 0) mix.push_back({task, task_config(stage, task).share});
  return mix;
}

ModalityPaths& modality_paths(DataConfig& data, common::Modality modality) {
  return modality == common::Modality::kImage ? data.image : modality == common::Modality::kVideo ? data.video : data.m3d;
}

const ModalityPaths& modality_paths(const DataConfig& data, common::Modality modality) {
  return modality_paths(const_cast<DataConfig&>(data), modality);
}

std::string embedded_root(const Config& config) {
  return config.data.embedded_dir.empty() ? config.run.out_dir + "/embedded-data" : config.data.embedded_dir;
}

std::string modality_dir(const Config& config, common::Modality modality, bool heldout) {
  if (config.data.source == "embedded") return data::embedded_split_dir(embedded_root(config), modality, heldout);
  const ModalityPaths& paths = modality_paths(config.data, modality);
  return heldout ? paths.heldout : paths.train;
}

namespace {

data::LoaderOptions common_options(const Config& config, size_t stage_index, common::Modality modality) {
  const StageConfig& stage = config.stages[stage_index];
  data::LoaderOptions o;
  o.modality = modality;
  o.patch = config.model.patch;
  o.resolution.multiple = config.model.patch.h;
  const bool video = modality == common::Modality::kVideo;
  o.resolution.min_side = video ? stage.video_min_side : stage.image_min_side;
  o.resolution.max_side = video ? stage.video_max_side : stage.image_max_side;
  o.window.frames = config.data.video_frames;
  o.window.min_stride = config.data.video_min_stride;
  o.window.max_stride = config.data.video_max_stride;
  o.keep_pixels = false;
  o.threads = config.data.threads;
  o.prefetch = config.data.prefetch;
  return o;
}

}  // namespace

data::LoaderOptions task_loader_options(const Config& config, size_t stage_index, Task task, int64_t rank,
                                        int64_t world) {
  data::LoaderOptions o = common_options(config, stage_index, task_modality(task));
  const TaskConfig& t = task_config(config.stages[stage_index], task);
  o.path = modality_dir(config, o.modality, /*heldout=*/false);
  // Every (stage, task) pair reads its own order, the same on every run with this seed.
  o.seed = static_cast<uint64_t>(config.run.seed) * 1000003ULL + stage_index * 16 + static_cast<uint64_t>(task) + 7;
  o.shuffle = config.data.shuffle;
  o.shuffle_buffer = config.data.shuffle_buffer;
  o.train = true;
  o.downscale_probability = config.data.downscale_probability;
  o.max_tokens = t.max_tokens;
  o.max_samples = t.max_samples;
  o.rank = rank;
  o.world = world;
  return o;
}

data::LoaderOptions heldout_loader_options(const Config& config, size_t stage_index, common::Modality modality) {
  data::LoaderOptions o = common_options(config, stage_index, modality);
  o.path = modality_dir(config, modality, /*heldout=*/true);
  o.shuffle = false;
  o.train = false;
  o.max_tokens = config.data.heldout_max_tokens;
  o.threads = 1;
  return o;
}

namespace {

// A tensor that owns the loader's vector: a batch's features are tens of MB, not worth a copy.
template <class T>
torch::Tensor adopt(std::vector<T>&& values, std::vector<int64_t> shape, torch::ScalarType type) {
  auto owned = std::make_shared<std::vector<T>>(std::move(values));
  return torch::from_blob(owned->data(), shape, [owned](void*) {}, torch::TensorOptions().dtype(type));
}

}  // namespace

TaskBatch to_task_batch(Task task, data::Batch&& batch) {
  TaskBatch out{task, {}, {}, batch.next};
  const int64_t n = batch.num_tokens;
  auto& t = out.tokens;
  const int64_t width = n > 0 ? static_cast<int64_t>(batch.features.size()) / n : 0;
  t.features = adopt(std::move(batch.features), {n, width}, torch::kFloat);
  t.coords = adopt(std::move(batch.coords), {n, 4}, torch::kInt32);
  t.offsets.assign(batch.cu_seqlens.begin(), batch.cu_seqlens.end());
  const auto sequences = static_cast<int64_t>(batch.cu_seqlens.size());
  t.cu_seqlens = adopt(std::move(batch.cu_seqlens), {sequences}, torch::kInt32);
  bool all_text = !batch.samples.empty();
  for (size_t i = 0; i < batch.samples.size(); ++i) {
    const data::TokenGrid& g = batch.samples[i].grid;
    // A mesh's tokens are sparse voxels of the 64^3 grid whose only real frame is the frame-0 slot
    // (SPEC 1). Its grid is the (x, y) plane, so the learned 2D position table is indexed by a
    // voxel's (x, y) like an image patch's (row, column); z reaches attention through RoPE only.
    t.grids.push_back(g.h == 0 ? model::SampleGrid{1, data::kVoxelGrid, data::kVoxelGrid, 1}
                               : model::SampleGrid{g.t, g.h, g.w, g.frames});
    t.max_seqlen = std::max(t.max_seqlen, t.offsets[i + 1] - t.offsets[i]);
    all_text = all_text && !batch.samples[i].text_embedding.empty() &&
               batch.samples[i].text_embedding.size() == batch.samples[0].text_embedding.size();
  }
  if (all_text) {
    const int64_t d = static_cast<int64_t>(batch.samples[0].text_embedding.size());
    out.text_embeddings = torch::empty({static_cast<int64_t>(batch.samples.size()), d});
    for (size_t i = 0; i < batch.samples.size(); ++i)
      std::copy(batch.samples[i].text_embedding.begin(), batch.samples[i].text_embedding.end(),
                out.text_embeddings[static_cast<int64_t>(i)].data_ptr<float>());
  }
  return out;
}

absl::StatusOr<std::unique_ptr<TaskFeeds>> TaskFeeds::Create(const Config& config, size_t stage_index,
                                                            const std::map<std::string, data::LoaderCursor>& start,
                                                            int64_t rank, int64_t world) {
  auto feeds = std::make_unique<TaskFeeds>();
  for (const TaskShare& share : task_mix(config.stages[stage_index])) {
    const std::string name = task_name(share.task);
    auto found = start.find(name);
    const data::LoaderCursor cursor = found == start.end() ? data::LoaderCursor{} : found->second;
    auto loader = data::Loader::create(task_loader_options(config, stage_index, share.task, rank, world), cursor);
    if (!loader.ok())
      return absl::Status(loader.status().code(), absl::StrCat("stages.", stage_index, ".tasks.", name,
                                                               " (data.", common::modality_name(task_modality(share.task)), "): ", loader.status().message()));
    feeds->loaders_[share.task] = std::move(*loader);
    feeds->cursors_[name] = cursor;
  }
  return feeds;
}

absl::StatusOr<TaskBatch> TaskFeeds::next(Task task) {
  auto batch = loaders_.at(task)->next();
  if (!batch.ok()) return batch.status();
  TaskBatch out = to_task_batch(task, std::move(*batch));
  cursors_[task_name(task)] = out.next;
  return out;
}

int64_t TaskFeeds::skipped_samples() const {
  int64_t n = 0;
  for (const auto& [task, loader] : loaders_) n += loader->stats().skipped_corrupt;
  return n;
}

}  // namespace tetra::trainer
