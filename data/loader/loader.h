// The multi-modal training loader (docs/data-format.md, "The multi-modal loader"): one Loader reads
// one modality's shards (images, videos or meshes), decodes and transforms samples on several
// threads, and hands out token-budget batches that are ready to become model::PackedTokens, each
// with the cursor that resumes the stream right after it. torch-free.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "data/shards/mesh_shard.h"
#include "data/shards/modality.h"
#include "data/loader/patchify.h"
#include "data/media/transform.h"

namespace tetra::data {

// Where a rank's stream stands. The first five fields define the position; the rest are derived
// and stored so a resume can prove it lands on the same sample (and for logs).
struct LoaderCursor {
  int64_t epoch = 0;
  int64_t start = 0;    // epoch position where this rank's striping begins (see resume_cursor)
  int64_t world = 0;    // ranks when saved; 0: a fresh cursor, no checks
  int64_t rank = 0;
  int64_t emitted = 0;  // samples of this rank's epoch stream handed out, corrupt ones included;
                        // also the shuffle-buffer RNG state (its draw counter)
  int64_t consumed = 0;      // epoch positions pulled into the shuffle buffer
  std::string next_shard;    // file name of the next sample to be pulled ("" at an epoch start)
  int64_t next_sample = -1;  // its index in that shard
  bool operator==(const LoaderCursor& o) const;
};

// One line of "key=value" pairs, for checkpoints and logs; parse_cursor reads it back.
std::string format_cursor(const LoaderCursor& cursor);
absl::StatusOr<LoaderCursor> parse_cursor(std::string_view text);

struct VideoWindowOptions {
  int64_t frames = 16;    // window length (a multiple of the temporal patch)
  int64_t min_stride = 1; // frame stride drawn uniformly in [min, max] in training, min at eval
  int64_t max_stride = 3;
};

struct LoaderOptions {
  Modality modality = Modality::kImage;
  std::string path;                 // dataset folder; or give `shards` directly
  std::vector<std::string> shards;
  uint64_t seed = 0;
  bool shuffle = true;
  int64_t shuffle_buffer = 1024;    // samples
  bool train = true;                // random crops/windows/strides/down-scaling; false: centred
  ResolutionRule resolution;        // images and video frames; stage_resolution() gives SPEC 4's
  double downscale_probability = 0; // train only: chance of a random down-scale in [min/side, 1]
  VideoWindowOptions window;
  PatchSize patch;
  bool patchify = true;             // fill Batch::features / coords
  bool keep_pixels = true;          // keep Sample::pixels / voxels after patchifying
  bool load_text = true;            // captions and text embeddings when the shards have them
  int64_t max_tokens = 16384;       // token budget per batch
  int64_t max_samples = 0;          // also stop at this many samples; 0: no limit
  int64_t threads = 2;              // decode threads
  int64_t prefetch = 32;            // samples decoded ahead of the consumer; memory is about
                                    // prefetch x one decoded sample (a 16-frame 512x896 window
                                    // is 22 MB, so lower it for high-resolution video)
  int64_t rank = 0;
  int64_t world = 1;
};

struct Sample {
  Modality modality = Modality::kImage;
  int64_t global_index = 0;
  int64_t epoch = 0;  // batches may span an epoch boundary
  std::string source_id;
  std::string label;  // "<shard path>#<index in shard>"
  TokenGrid grid;
  // Images and videos: RGB8 [frames, height, width, 3] after resize/crop (frames 1 for an image).
  std::vector<uint8_t> pixels;
  int64_t frames = 0, height = 0, width = 0;
  int64_t window_start = 0, window_stride = 0;  // videos: which source frames were taken
  MeshVoxels voxels;  // meshes
  std::string caption;
  std::vector<float> text_embedding;  // empty when the shard has none
};

struct Batch {
  Modality modality = Modality::kImage;
  std::vector<Sample> samples;
  // With options.patchify: one packed token list, SPEC 1's layout (model::PackedTokens).
  std::vector<float> features;      // [num_tokens, patch.features()] in [-1, 1]
  std::vector<int32_t> coords;      // [num_tokens, 4] (t, x, y, z)
  std::vector<int32_t> cu_seqlens;  // [samples + 1]
  int64_t num_tokens = 0;
  LoaderCursor next;                // resume here to continue right after this batch
};

struct LoaderStats {
  int64_t delivered = 0;        // samples in batches
  int64_t skipped_corrupt = 0;  // samples that failed to read/decode (logged with file and index)
  int64_t skipped_shards = 0;   // shard files that could not be opened at start (logged)
  int64_t oversized = 0;        // samples alone over the token budget (sent as a batch of one)
};

// SPEC section 4's per-stage resolution ranges (stage 1..4) for images and videos.
absl::StatusOr<ResolutionRule> stage_resolution(int stage, Modality modality);

class Loader {
 public:
  // Errors at once (not mid-run) for a missing dataset path, no readable shard, bad options, or a
  // cursor that does not fit the data.
  static absl::StatusOr<std::unique_ptr<Loader>> create(const LoaderOptions& options,
                                                        const LoaderCursor& start = {});
  ~Loader();  // stops and joins the decode threads
  // Blocks until a batch is ready. Epochs roll over forever.
  absl::StatusOr<Batch> next();
  LoaderStats stats() const;
  int64_t total_samples() const;  // readable samples in the dataset

  // The cursor rank options.rank of options.world starts from, given the cursors every rank saved.
  // Same world size: saved[rank] itself. Otherwise (docs: "Changing the number of ranks"): the
  // earliest epoch among them, from the smallest epoch position any rank had not yet emitted,
  // re-striped over the new ranks; nothing is skipped, a few samples may repeat.
  static absl::StatusOr<LoaderCursor> resume_cursor(const LoaderOptions& options,
                                                   const std::vector<LoaderCursor>& saved);

 private:
  struct State;
  explicit Loader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace tetra::data
