#include "trainer/batches.h"

#include <torch/torch.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "data/embedded.h"
#include "data/shard.h"

namespace tetra::trainer {

torch::Tensor image_to_frames(const data::Image& image) {
  auto bytes = torch::from_blob(const_cast<uint8_t*>(image.rgb.data()), {1, image.height, image.width, 3},
                                torch::kUInt8);
  return bytes.to(torch::kFloat).div_(127.5).sub_(1.0);
}

model::PackedTokens pack_images(const std::vector<data::Image>& images, const model::PatchSize& patch) {
  std::vector<model::SampleTokens> samples;
  samples.reserve(images.size());
  for (const auto& image : images) samples.push_back(model::patchify(image_to_frames(image), patch));
  return model::pack(samples);
}

model::PatchSize patch_from_config(const ModelConfig& m) {
  return model::PatchSize{m.patch_time, m.patch_size, m.patch_size, 3};
}

absl::StatusOr<DataPaths> prepare_data(const Config& config) {
  const auto& d = config.data;
  DataPaths paths;
  std::string train = d.train_path, heldout = d.heldout_path;
  if (d.source == "embedded") {
    const std::string root = d.train_path.empty() ? config.run.out_dir + "/embedded-data" : d.train_path;
    data::EmbeddedDatasetOptions options;
    options.num_train = d.embedded_train;
    options.num_heldout = d.embedded_heldout;
    options.min_side = d.embedded_min_side;
    options.max_side = d.embedded_max_side;
    if (auto s = data::EnsureEmbeddedDataset(root, options); !s.ok()) return s;
    train = root + "/train";
    heldout = root + "/heldout";
  }
  auto train_shards = data::ListShards(train);
  if (!train_shards.ok())
    return absl::Status(train_shards.status().code(), absl::StrCat("data.train_path: ", train_shards.status().message()));
  paths.train_shards = *train_shards;
  if (!heldout.empty()) {
    auto heldout_shards = data::ListShards(heldout);
    if (!heldout_shards.ok())
      return absl::Status(heldout_shards.status().code(), absl::StrCat("data.heldout_path: ", heldout_shards.status().message()));
    paths.heldout_shards = *heldout_shards;
  }
  return paths;
}

namespace {

data::StreamOptions stream_options(const Config& config, const std::vector<std::string>& shards, bool train,
                                   int64_t rank = 0, int64_t ranks = 1) {
  data::StreamOptions o;
  o.rank = rank;
  o.world = ranks;
  o.shards = shards;
  o.seed = static_cast<uint64_t>(config.run.seed);
  o.shuffle = train && config.data.shuffle;
  o.random_crop = train;
  o.resolution = data::ResolutionRule{config.data.min_side, config.data.max_side, config.model.patch_size};
  o.prefetch = config.data.prefetch;
  return o;
}

}  // namespace

absl::StatusOr<BatchPlan> plan_batches(const DataConfig& d, int64_t ranks) {
  BatchPlan plan;
  if (d.micro_batch_size == 0) {
    if (d.batch_size % ranks != 0)
      return absl::InvalidArgumentError(absl::StrCat("key 'data.batch_size' (", d.batch_size, ") must divide evenly over the ",
                                                     ranks, " data-parallel ranks; change it or set data.micro_batch_size"));
    plan.micro_batch = d.batch_size / ranks;
    return plan;
  }
  if (d.batch_size % (d.micro_batch_size * ranks) != 0)
    return absl::InvalidArgumentError(absl::StrCat(
        "key 'data.batch_size' (", d.batch_size, ") must be a multiple of data.micro_batch_size (", d.micro_batch_size,
        ") x ", ranks, " data-parallel ranks, so that every rank accumulates the same number of micro-batches"));
  plan.micro_batch = d.micro_batch_size;
  plan.micro_steps = d.batch_size / (d.micro_batch_size * ranks);
  return plan;
}

absl::StatusOr<std::unique_ptr<ImageBatcher>> ImageBatcher::Create(const Config& config,
                                                                   const std::vector<std::string>& shards,
                                                                   const data::StreamCursor& start, int64_t rank,
                                                                   int64_t ranks, int64_t micro_batch) {
  auto stream = data::ImageStream::Create(stream_options(config, shards, /*train=*/true, rank, ranks), start);
  if (!stream.ok()) return stream.status();
  return std::unique_ptr<ImageBatcher>(new ImageBatcher(std::move(*stream), micro_batch, patch_from_config(config.model)));
}

absl::StatusOr<ImageBatch> ImageBatcher::next() {
  std::vector<data::Image> images;
  ImageBatch batch;
  for (int64_t i = 0; i < batch_size_; ++i) {
    auto sample = stream_->Next();
    if (!sample.ok()) return sample.status();
    images.push_back(std::move(sample->image));
    batch.next = sample->next;
  }
  batch.tokens = pack_images(images, patch_);
  return batch;
}

absl::StatusOr<std::vector<model::PackedTokens>> load_heldout(const Config& config,
                                                              const std::vector<std::string>& shards) {
  std::vector<model::PackedTokens> batches;
  if (shards.empty() || config.data.heldout_samples == 0) return batches;
  auto stream = data::ImageStream::Create(stream_options(config, shards, /*train=*/false));
  if (!stream.ok()) return stream.status();
  const int64_t count = std::min(config.data.heldout_samples, (*stream)->samples_per_epoch());
  const auto patch = patch_from_config(config.model);
  std::vector<data::Image> images;
  for (int64_t i = 0; i < count; ++i) {
    auto sample = (*stream)->Next();
    if (!sample.ok()) return sample.status();
    images.push_back(std::move(sample->image));
    if (static_cast<int64_t>(images.size()) == config.data.batch_size || i + 1 == count) {
      batches.push_back(pack_images(images, patch));
      images.clear();
    }
  }
  return batches;
}

}  // namespace tetra::trainer
