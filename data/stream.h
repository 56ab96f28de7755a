// Streaming image reader: a background thread reads, decodes and transforms samples in a
// deterministic order into a bounded queue. The order depends only on (seed, epoch), so a cursor of
// (epoch, index) is enough to resume exactly: no RNG state has to be saved.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "data/image.h"
#include "data/transform.h"

namespace tetra::data {

struct StreamCursor {
  int64_t epoch = 0;
  int64_t index = 0;  // samples of this epoch's order already handed out
  bool operator==(const StreamCursor& o) const { return epoch == o.epoch && index == o.index; }
};

struct StreamOptions {
  std::vector<std::string> shards;  // from ListShards()
  uint64_t seed = 0;
  bool shuffle = true;           // permute samples per epoch (seeded by seed and epoch)
  bool random_crop = true;       // false: centred crops (evaluation)
  ResolutionRule resolution;
  int64_t prefetch = 64;         // queue depth, in samples
  int64_t rank = 0;              // keeps positions p of each epoch's order with p % world == rank
  int64_t world = 1;
};

struct StreamSample {
  Image image;                   // already resized/cropped
  std::string source_id;
  StreamCursor next;             // cursor to resume right after this sample
};

struct StreamStats {
  int64_t delivered = 0;
  int64_t skipped_corrupt = 0;   // undecodable samples, each logged to stderr with file and index
};

class ImageStream {
 public:
  static absl::StatusOr<std::unique_ptr<ImageStream>> Create(const StreamOptions& options,
                                                             const StreamCursor& start = {});
  ~ImageStream();  // stops and joins the prefetch thread
  // Blocks until a sample is ready. Epochs roll over forever; errors only if no sample is readable.
  absl::StatusOr<StreamSample> Next();
  StreamStats stats() const;
  int64_t samples_per_epoch() const;
 private:
  struct State;
  explicit ImageStream(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace tetra::data
