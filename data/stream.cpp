// ImageStream: one producer thread walks this rank's share of the epoch order, reads, decodes and
// crops each sample, and hands it over through a bounded queue. Everything random is derived from
// (seed, epoch[, sample]) so a cursor alone reproduces the stream.
#include "data/stream.h"

#include <condition_variable>
#include <deque>
#include <iostream>
#include <mutex>
#include <numeric>
#include <thread>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "data/rng_util.h"
#include "data/shard_set.h"

namespace tetra::data {
namespace {

// Distinguishes the permutation's seed from the per-sample crop seeds.
constexpr uint64_t kOrderTag = 0x6f72646572ULL;  // "order"

// The global sample indices this rank visits in `epoch`, in visiting order: position p of the
// (possibly shuffled) epoch order belongs to rank p % world.
std::vector<int64_t> RankOrder(int64_t total, const StreamOptions& options, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(total));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (options.shuffle) {
    // Explicit Fisher-Yates with our own uniform draw: std::shuffle differs across libraries.
    std::mt19937_64 rng(HashSeeds({options.seed, static_cast<uint64_t>(epoch), kOrderTag}));
    for (int64_t i = total - 1; i > 0; --i) {
      std::swap(order[i], order[UniformBelow(rng, static_cast<uint64_t>(i) + 1)]);
    }
  }
  std::vector<int64_t> mine;
  mine.reserve(static_cast<size_t>(total / options.world + 1));
  for (int64_t p = options.rank; p < total; p += options.world) mine.push_back(order[p]);
  return mine;
}

int64_t RankShare(int64_t total, int64_t rank, int64_t world) {
  return total > rank ? (total - rank + world - 1) / world : 0;
}

absl::Status CheckOptions(const StreamOptions& options, const StreamCursor& start) {
  if (options.shards.empty()) {
    return absl::InvalidArgumentError("image stream: no shards given (use ListShards(dir))");
  }
  if (options.world < 1 || options.rank < 0 || options.rank >= options.world) {
    return absl::InvalidArgumentError(absl::StrCat("image stream: rank ", options.rank,
                                                   " is outside world size ", options.world));
  }
  if (options.prefetch < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("image stream: prefetch must be >= 1, got ", options.prefetch));
  }
  if (start.epoch < 0 || start.index < 0) {
    return absl::InvalidArgumentError(absl::StrCat("image stream: invalid cursor (epoch ",
                                                   start.epoch, ", index ", start.index, ")"));
  }
  return ValidateResolutionRule(options.resolution);
}

}  // namespace

struct ImageStream::State {
  StreamOptions options;
  ShardSet shards;        // touched only by the producer once it runs
  int64_t per_epoch = 0;  // this rank's positions per epoch
  StreamCursor start;

  mutable std::mutex mu;
  std::condition_variable ready;  // the queue has an item, or we are stopping
  std::condition_variable space;  // the queue has room, or we are stopping
  std::condition_variable idle;   // no consumer is inside Next()
  std::deque<absl::StatusOr<StreamSample>> queue;
  bool stopping = false;
  int consumers = 0;
  StreamStats stats;
  std::thread producer;

  void Produce();
  absl::StatusOr<StreamSample> Load(int64_t global, const StreamCursor& position,
                                    std::unordered_set<int64_t>* logged);
  // Blocks while the queue is full; false once the stream is stopping.
  bool Push(absl::StatusOr<StreamSample> item);
  StreamCursor After(StreamCursor position) const;
};

StreamCursor ImageStream::State::After(StreamCursor position) const {
  ++position.index;
  if (position.index >= per_epoch) return {position.epoch + 1, 0};
  return position;
}

bool ImageStream::State::Push(absl::StatusOr<StreamSample> item) {
  std::unique_lock<std::mutex> lock(mu);
  space.wait(lock, [&] { return stopping || queue.size() < static_cast<size_t>(options.prefetch); });
  if (stopping) return false;
  queue.push_back(std::move(item));
  ready.notify_one();
  return true;
}

// A failure here is a corrupt sample: counted every time, logged once per sample.
absl::StatusOr<StreamSample> ImageStream::State::Load(int64_t global, const StreamCursor& position,
                                                      std::unordered_set<int64_t>* logged) {
  absl::StatusOr<ImageRecord> record = shards.Read(global);
  absl::StatusOr<Image> image =
      record.ok() ? DecodeRecord(*record, shards.Label(global)) : record.status();
  if (!image.ok()) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++stats.skipped_corrupt;
    }
    if (logged->insert(global).second) {
      const std::string label = shards.Label(global);
      std::string why(image.status().message());
      if (why.rfind(label + ": ", 0) == 0) why.erase(0, label.size() + 2);  // said just before
      std::cerr << "tetra data: skipping corrupt sample " << label << " (global index " << global
                << "): " << why << "\n";
    }
    return image.status();
  }
  // Crops depend on (seed, epoch, sample) only, never on what came before: resume-safe.
  std::mt19937_64 rng(HashSeeds({options.seed, static_cast<uint64_t>(position.epoch),
                                 static_cast<uint64_t>(global)}));
  StreamSample sample;
  sample.image = ResizeAndCrop(*image, options.resolution, options.random_crop ? &rng : nullptr);
  sample.source_id = std::move(record->source_id);
  sample.next = After(position);
  return sample;
}

void ImageStream::State::Produce() {
  std::unordered_set<int64_t> logged;
  StreamCursor cursor = start;
  std::vector<int64_t> order = RankOrder(shards.total(), options, cursor.epoch);
  // An epoch entered mid-way (resume) cannot prove that the whole epoch is unreadable.
  bool whole_epoch = cursor.index == 0;
  int64_t produced_in_epoch = 0;
  while (true) {
    if (cursor.index >= per_epoch) {
      if (whole_epoch && produced_in_epoch == 0) {
        Push(absl::DataLossError(absl::StrCat(
            "image stream: every one of the ", per_epoch, " samples of epoch ", cursor.epoch,
            " for rank ", options.rank, " failed to read or decode (see the log above); "
            "check or re-pack the shards")));
        return;
      }
      cursor = {cursor.epoch + 1, 0};
      order = RankOrder(shards.total(), options, cursor.epoch);
      whole_epoch = true;
      produced_in_epoch = 0;
    }
    const StreamCursor position = cursor;
    ++cursor.index;
    absl::StatusOr<StreamSample> sample = Load(order[position.index], position, &logged);
    if (!sample.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      if (stopping) return;
      continue;
    }
    if (!Push(std::move(sample))) return;
    ++produced_in_epoch;
  }
}

ImageStream::ImageStream(std::unique_ptr<State> state) : state_(std::move(state)) {}

ImageStream::~ImageStream() {
  State& s = *state_;
  {
    std::unique_lock<std::mutex> lock(s.mu);
    s.stopping = true;
    s.ready.notify_all();
    s.space.notify_all();
    s.idle.wait(lock, [&] { return s.consumers == 0; });
  }
  if (s.producer.joinable()) s.producer.join();
}

absl::StatusOr<std::unique_ptr<ImageStream>> ImageStream::Create(const StreamOptions& options,
                                                                 const StreamCursor& start) {
  if (absl::Status s = CheckOptions(options, start); !s.ok()) return s;
  auto state = std::make_unique<State>();
  state->options = options;
  if (absl::Status s = state->shards.Open(options.shards); !s.ok()) return s;
  state->per_epoch = RankShare(state->shards.total(), options.rank, options.world);
  if (state->per_epoch == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("image stream: ", state->shards.total(), " samples leave nothing for rank ",
                     options.rank, " of ", options.world, "; use fewer ranks or more data"));
  }
  if (start.index > state->per_epoch) {
    return absl::OutOfRangeError(absl::StrCat(
        "image stream: cursor index ", start.index, " is past the end of epoch ", start.epoch,
        " (", state->per_epoch, " samples for this rank); the dataset or world size changed "
        "since the cursor was saved"));
  }
  state->start = start.index == state->per_epoch ? StreamCursor{start.epoch + 1, 0} : start;
  State* raw = state.get();
  state->producer = std::thread([raw] { raw->Produce(); });
  return std::unique_ptr<ImageStream>(new ImageStream(std::move(state)));
}

absl::StatusOr<StreamSample> ImageStream::Next() {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mu);
  ++s.consumers;
  s.ready.wait(lock, [&] { return s.stopping || !s.queue.empty(); });
  absl::StatusOr<StreamSample> result = absl::CancelledError("image stream is shutting down");
  if (!s.stopping && !s.queue.empty()) {
    if (!s.queue.front().ok()) {
      result = s.queue.front().status();  // terminal: stays queued so every later call sees it
    } else {
      result = std::move(s.queue.front());
      s.queue.pop_front();
      ++s.stats.delivered;
      s.space.notify_one();
    }
  }
  if (--s.consumers == 0 && s.stopping) s.idle.notify_all();
  return result;
}

StreamStats ImageStream::stats() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->stats;
}

int64_t ImageStream::samples_per_epoch() const { return state_->per_epoch; }

}  // namespace tetra::data
