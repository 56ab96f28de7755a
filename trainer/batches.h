// From decoded images to packed token batches, and the data sources the trainer reads.
#pragma once
#include <torch/types.h>

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "data/stream.h"
#include "model/tokens.h"
#include "trainer/config.h"

namespace tetra::trainer {

// [1, H, W, 3] float in [-1, 1].
torch::Tensor image_to_frames(const data::Image& image);
model::PackedTokens pack_images(const std::vector<data::Image>& images, const model::PatchSize& patch);

// Where the training and held-out shards are: packed folders, or the embedded dataset (generated
// on first use under data.train_path, default <out_dir>/embedded-data).
struct DataPaths {
  std::vector<std::string> train_shards;
  std::vector<std::string> heldout_shards;  // may be empty for user shards without held-out data
};
absl::StatusOr<DataPaths> prepare_data(const Config& config);

struct ImageBatch {
  model::PackedTokens tokens;
  data::StreamCursor next;  // stream position right after this batch
};

// How the global batch (data.batch_size images per optimizer step) is cut: every rank runs
// micro_steps forward/backward passes of micro_batch images. Errors name the keys to change.
struct BatchPlan {
  int64_t micro_batch = 0;
  int64_t micro_steps = 1;
};
absl::StatusOr<BatchPlan> plan_batches(const DataConfig& data, int64_t ranks);

// Micro-batches of this rank's share of the stream (positions p with p % ranks == rank).
class ImageBatcher {
 public:
  static absl::StatusOr<std::unique_ptr<ImageBatcher>> Create(const Config& config,
                                                             const std::vector<std::string>& shards,
                                                             const data::StreamCursor& start, int64_t rank,
                                                             int64_t ranks, int64_t micro_batch);
  absl::StatusOr<ImageBatch> next();
  data::StreamStats stats() const { return stream_->stats(); }

 private:
  ImageBatcher(std::unique_ptr<data::ImageStream> stream, int64_t batch_size, model::PatchSize patch)
      : stream_(std::move(stream)), batch_size_(batch_size), patch_(patch) {}
  std::unique_ptr<data::ImageStream> stream_;
  int64_t batch_size_;
  model::PatchSize patch_;
};

// The first `count` held-out images (centred crops, fixed order), packed in batches.
absl::StatusOr<std::vector<model::PackedTokens>> load_heldout(const Config& config,
                                                              const std::vector<std::string>& shards);

model::PatchSize patch_from_config(const ModelConfig& model);

}  // namespace tetra::trainer
