// Loader: a schedule (the EpochWalk, under a mutex) hands numbered work items to decode threads;
// results wait in a reorder map and next() consumes them strictly in schedule order, so batches do
// not depend on thread timing. Each sample's randomness is seeded by (seed, epoch, global index).
#include "data/loader/loader.h"

#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "data/loader/catalog.h"
#include "data/loader/order.h"
#include "data/util/rng_util.h"
#include "data/loader/sample_source.h"

namespace tetra::data {
namespace {

constexpr size_t kOpenShardsPerThread = 16;

struct WorkItem {
  int64_t seq = 0;
  int64_t epoch = 0;
  int64_t global = 0;
  LoaderCursor after;  // the cursor right after this sample
};

struct Result {
  absl::StatusOr<Sample> sample;
  LoaderCursor after;
};

// Each decode thread's own open shards (readers are single-threaded), least recently used evicted.
class SourceCache {
 public:
  absl::StatusOr<const ShardSource*> get(size_t shard, const std::string& path, Modality modality,
                                         bool load_text) {
    for (auto it = open_.begin(); it != open_.end(); ++it) {
      if (it->first == shard) {
        open_.splice(open_.begin(), open_, it);
        return open_.front().second.get();
      }
    }
    absl::StatusOr<std::unique_ptr<ShardSource>> source = ShardSource::open(path, modality, load_text);
    if (!source.ok()) return source.status();
    open_.emplace_front(shard, std::move(*source));
    if (open_.size() > kOpenShardsPerThread) open_.pop_back();
    return open_.front().second.get();
  }

 private:
  std::list<std::pair<size_t, std::unique_ptr<ShardSource>>> open_;
};

absl::Status check_options(const LoaderOptions& o) {
  auto bad = [](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("loader options: ", what));
  };
  if (o.world < 1 || o.rank < 0 || o.rank >= o.world) {
    return bad(absl::StrCat("rank ", o.rank, " is outside world size ", o.world));
  }
  if (o.threads < 1 || o.prefetch < 1 || o.max_tokens < 1 || o.max_samples < 0) {
    return bad("threads, prefetch and max_tokens must be >= 1 and max_samples >= 0");
  }
  if (o.patch.t < 1 || o.patch.h < 1 || o.patch.w < 1) return bad("patch sizes must be >= 1");
  if (o.modality == Modality::k3d && o.patch.h * o.patch.w * 3 != kVoxelFeatureWidth) {
    return bad("meshes need a 16x16 spatial patch (768 voxel features per token)");
  }
  if (o.modality == Modality::kVideo &&
      (o.window.frames < o.patch.t || o.window.frames % o.patch.t != 0 || o.window.min_stride < 1 ||
       o.window.max_stride < o.window.min_stride)) {
    return bad(absl::StrCat("video window needs frames a multiple of ", o.patch.t,
                            " and 1 <= min_stride <= max_stride; got frames ", o.window.frames,
                            ", strides ", o.window.min_stride, "..", o.window.max_stride));
  }
  if (o.downscale_probability < 0 || o.downscale_probability > 1) {
    return bad("downscale_probability must be in [0, 1]");
  }
  if (o.modality != Modality::k3d &&
      (o.resolution.multiple != o.patch.h || o.patch.h != o.patch.w)) {
    return bad(absl::StrCat("resolution.multiple (", o.resolution.multiple,
                            ") must equal the square spatial patch (", o.patch.h, "x", o.patch.w,
                            ")"));
  }
  return o.modality == Modality::k3d ? absl::OkStatus() : validate_resolution_rule(o.resolution);
}

}  // namespace

struct Loader::State {
  LoaderOptions options;
  OrderOptions order;
  ShardCatalog catalog;

  mutable std::mutex mu;
  std::condition_variable changed;
  std::unique_ptr<EpochWalk> walk;  // the schedule
  int64_t epoch = 0;
  int64_t next_seq = 0;      // next work item to hand out
  int64_t consumed_seq = 0;  // next result next() takes
  std::map<int64_t, Result> results;
  bool stopping = false;
  LoaderStats stats;
  int64_t corrupt_in_a_row = 0;
  std::unordered_set<int64_t> logged;
  std::vector<std::thread> workers;

  int64_t walk_start = 0;

  absl::Status position(const LoaderCursor& start);
  WorkItem schedule();
  void Work();
  Result load(const WorkItem& item, SourceCache* cache) const;
  void pack(Batch* batch) const;
  int64_t rank_share() const {
    return (catalog.total() - options.rank + options.world - 1) / options.world;
  }
};

// Replays the schedule to the cursor over integers only, then checks that the stored derived
// fields agree: a mismatch means the data (or the world size) changed since the cursor was saved.
absl::Status Loader::State::position(const LoaderCursor& c) {
  const std::string where = absl::StrCat("loader cursor (", format_cursor(c), ")");
  if (c.epoch < 0 || c.start < 0 || c.emitted < 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, " has a negative field"));
  }
  if (c.world != 0 && (c.world != options.world || c.rank != options.rank)) {
    return absl::FailedPreconditionError(absl::StrCat(
        where, " was saved by rank ", c.rank, " of ", c.world, ", not rank ", options.rank, " of ",
        options.world, "; pass every rank's cursor through Loader::resume_cursor first"));
  }
  epoch = c.epoch;
  walk_start = c.start;
  walk = std::make_unique<EpochWalk>(catalog, order, epoch, c.start, options.world, options.rank);
  for (int64_t i = 0; i < c.emitted; ++i) {
    if (walk->done()) {
      return absl::OutOfRangeError(absl::StrCat(where, " is past the end of epoch ", c.epoch,
                                                "; the dataset changed since it was saved"));
    }
    walk->next();
  }
  if (c.world == 0 || c.emitted == 0) return absl::OkStatus();
  const int64_t pending = walk->next_to_pull();
  std::string shard;
  int64_t local = -1;
  if (pending >= 0) {
    const auto located = catalog.locate(pending);
    shard = std::filesystem::path(catalog.paths[located.first]).filename().string();
    local = located.second;
  }
  if (walk->consumed() != c.consumed || shard != c.next_shard || local != c.next_sample) {
    return absl::FailedPreconditionError(absl::StrCat(
        where, " does not match the data: replaying it reaches consumed=", walk->consumed(),
        " next_shard=", shard, " next_sample=", local,
        "; the shards, seed, shuffle options or world size changed since it was saved"));
  }
  return absl::OkStatus();
}

// Called under mu. Rolls into the next epoch when the walk is exhausted.
WorkItem Loader::State::schedule() {
  if (walk->done()) {
    ++epoch;
    walk_start = 0;
    walk = std::make_unique<EpochWalk>(catalog, order, epoch, 0, options.world, options.rank);
  }
  WorkItem item;
  item.seq = next_seq++;
  item.epoch = epoch;
  item.global = walk->next();
  LoaderCursor& c = item.after;
  c.world = options.world;
  c.rank = options.rank;
  if (walk->done()) {
    c.epoch = epoch + 1;
    return item;
  }
  c.epoch = epoch;
  c.start = walk_start;
  c.emitted = walk->emitted();
  c.consumed = walk->consumed();
  const int64_t pending = walk->next_to_pull();
  if (pending >= 0) {
    const auto [shard, local] = catalog.locate(pending);
    c.next_shard = std::filesystem::path(catalog.paths[shard]).filename().string();
    c.next_sample = local;
  }
  return item;
}

Result Loader::State::load(const WorkItem& item, SourceCache* cache) const {
  const auto [shard, local] = catalog.locate(item.global);
  absl::StatusOr<const ShardSource*> source =
      cache->get(shard, catalog.paths[shard], options.modality, options.load_text);
  if (!source.ok()) return {source.status(), item.after};
  std::mt19937_64 rng(hash_seeds({options.seed, static_cast<uint64_t>(item.epoch),
                                 static_cast<uint64_t>(item.global)}));
  absl::StatusOr<Sample> sample = (*source)->load(local, options, options.train ? &rng : nullptr);
  if (sample.ok()) {
    sample->global_index = item.global;
    sample->epoch = item.epoch;
  }
  return {std::move(sample), item.after};
}

void Loader::State::Work() {
  SourceCache cache;
  while (true) {
    WorkItem item;
    {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return stopping || next_seq < consumed_seq + options.prefetch; });
      if (stopping) return;
      item = schedule();
    }
    Result result = load(item, &cache);
    std::lock_guard<std::mutex> lock(mu);
    results.emplace(item.seq, std::move(result));
    changed.notify_all();
  }
}

// Patchifies every sample straight into the batch's token list: one write per value, no
// per-sample token buffers (a mesh or a 512p window is ~100 MB of floats; allocating that per
// sample on a decode thread costs more in page faults than the patchify itself).
void Loader::State::pack(Batch* batch) const {
  const int64_t f = options.patch.features();
  batch->cu_seqlens.assign(1, 0);
  for (const Sample& s : batch->samples) {
    batch->cu_seqlens.push_back(batch->cu_seqlens.back() + static_cast<int32_t>(s.grid.tokens));
  }
  if (!options.patchify) return;
  batch->features.resize(static_cast<size_t>(batch->num_tokens * f));
  batch->coords.resize(static_cast<size_t>(batch->num_tokens * 4));
  for (size_t i = 0; i < batch->samples.size(); ++i) {
    Sample& s = batch->samples[i];
    float* features = batch->features.data() + static_cast<int64_t>(batch->cu_seqlens[i]) * f;
    int32_t* coords = batch->coords.data() + static_cast<int64_t>(batch->cu_seqlens[i]) * 4;
    if (options.modality == Modality::k3d) {
      PatchifyVoxels(s.voxels, options.patch, features, coords);
    } else {
      PatchifyFrames(s.pixels.data(), s.frames, s.height, s.width, options.patch, features, coords);
    }
    if (!options.keep_pixels) {
      s.pixels = {};
      s.voxels = {};
    }
  }
}

Loader::Loader(std::unique_ptr<State> state) : state_(std::move(state)) {}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stopping = true;
    state_->changed.notify_all();
  }
  for (std::thread& t : state_->workers) t.join();
}

absl::StatusOr<std::unique_ptr<Loader>> Loader::create(const LoaderOptions& options,
                                                       const LoaderCursor& start) {
  if (absl::Status s = check_options(options); !s.ok()) return s;
  auto state = std::make_unique<State>();
  state->options = options;
  state->order = {options.seed, options.shuffle, options.shuffle_buffer};
  absl::StatusOr<ShardCatalog> catalog = open_catalog(options, &state->stats.skipped_shards);
  if (!catalog.ok()) return catalog.status();
  state->catalog = std::move(*catalog);
  if (state->rank_share() <= 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "loader: ", state->catalog.total(), " samples leave nothing for rank ", options.rank,
        " of ", options.world, "; use fewer ranks or more data"));
  }
  if (absl::Status s = state->position(start); !s.ok()) return s;
  State* raw = state.get();
  for (int64_t t = 0; t < options.threads; ++t) raw->workers.emplace_back([raw] { raw->Work(); });
  return std::unique_ptr<Loader>(new Loader(std::move(state)));
}

absl::StatusOr<Batch> Loader::next() {
  State& s = *state_;
  Batch batch;
  batch.modality = s.options.modality;
  std::unique_lock<std::mutex> lock(s.mu);
  while (true) {
    s.changed.wait(lock, [&] { return s.stopping || s.results.count(s.consumed_seq) > 0; });
    if (s.stopping) return absl::CancelledError("loader is shutting down");
    Result& head = s.results.at(s.consumed_seq);
    if (!head.sample.ok()) {
      ++s.stats.skipped_corrupt;
      if (s.logged.insert(s.consumed_seq).second) {
        std::cerr << "tetra data: skipping corrupt sample: " << head.sample.status().message()
                  << "\n";
      }
      if (++s.corrupt_in_a_row >= s.rank_share()) {
        return absl::DataLossError(absl::StrCat(
            "loader: ", s.corrupt_in_a_row, " samples in a row failed to read or decode (a whole "
            "epoch of this rank; see the log above); check or re-pack the shards"));
      }
      batch.next = head.after;
      s.results.erase(s.consumed_seq++);
      s.changed.notify_all();
      continue;
    }
    const int64_t tokens = head.sample->grid.tokens;
    const bool full = !batch.samples.empty() &&
                      (batch.num_tokens + tokens > s.options.max_tokens ||
                       (s.options.max_samples > 0 &&
                        static_cast<int64_t>(batch.samples.size()) >= s.options.max_samples));
    if (full) break;  // the head stays queued: it opens the next batch
    s.corrupt_in_a_row = 0;
    if (tokens > s.options.max_tokens) ++s.stats.oversized;
    batch.num_tokens += tokens;
    batch.samples.push_back(std::move(*head.sample));
    batch.next = head.after;
    s.results.erase(s.consumed_seq++);
    s.changed.notify_all();
    if (tokens > s.options.max_tokens || batch.num_tokens == s.options.max_tokens) break;
  }
  s.stats.delivered += static_cast<int64_t>(batch.samples.size());
  lock.unlock();
  s.pack(&batch);
  return batch;
}

LoaderStats Loader::stats() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->stats;
}

int64_t Loader::total_samples() const { return state_->catalog.total(); }

}  // namespace tetra::data
