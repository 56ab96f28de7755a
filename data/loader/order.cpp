#include "data/loader/order.h"

#include <algorithm>
#include <numeric>

#include "data/util/rng_util.h"

namespace tetra::data {
namespace {

constexpr uint64_t kShardOrderTag = 0x7368617264ULL;   // "shard"
constexpr uint64_t kSampleOrderTag = 0x73616d706cULL;  // "sampl"
constexpr uint64_t kBufferTag = 0x6275666665ULL;       // "buffe"

void permute(std::vector<int64_t>* values, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int64_t i = static_cast<int64_t>(values->size()) - 1; i > 0; --i) {
    std::swap((*values)[i], (*values)[uniform_below(rng, static_cast<uint64_t>(i) + 1)]);
  }
}

}  // namespace

std::pair<size_t, int64_t> ShardCatalog::locate(int64_t global) const {
  const size_t shard =
      static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), global) - starts.begin()) -
      1;
  return {shard, global - starts[shard]};
}

EpochWalk::EpochWalk(const ShardCatalog& catalog, const OrderOptions& options, int64_t epoch,
                     int64_t start, int64_t world, int64_t rank)
    : catalog_(catalog), options_(options), epoch_(epoch), start_(start), world_(world), rank_(rank) {
  const int64_t total = catalog.total();
  order_.reserve(static_cast<size_t>(total));
  std::vector<int64_t> shards(catalog.paths.size());
  std::iota(shards.begin(), shards.end(), int64_t{0});
  const uint64_t e = static_cast<uint64_t>(epoch);
  if (options.shuffle) permute(&shards, hash_seeds({options.seed, e, kShardOrderTag}));
  for (int64_t shard : shards) {
    std::vector<int64_t> samples(static_cast<size_t>(catalog.starts[shard + 1] - catalog.starts[shard]));
    std::iota(samples.begin(), samples.end(), catalog.starts[shard]);
    if (options.shuffle) {
      permute(&samples, hash_seeds({options.seed, e, kSampleOrderTag, static_cast<uint64_t>(shard)}));
    }
    order_.insert(order_.end(), samples.begin(), samples.end());
  }
  const int64_t first = start + rank;
  share_ = first < total ? (total - first + world - 1) / world : 0;
}

int64_t EpochWalk::pull() {
  const int64_t position = start_ + rank_ + pulled_ * world_;
  ++pulled_;
  return position;
}

// Counter-based: draw k depends only on the walk's identity and k, never on earlier draws, so the
// "RNG state" is the number of draws made, which equals emitted().
uint64_t EpochWalk::draw(uint64_t n) {
  const uint64_t h = hash_seeds({options_.seed, static_cast<uint64_t>(epoch_),
                                static_cast<uint64_t>(start_), static_cast<uint64_t>(world_),
                                static_cast<uint64_t>(rank_), kBufferTag,
                                static_cast<uint64_t>(emitted_)});
  return h % n;  // bias below n / 2^64: negligible for any buffer size
}

int64_t EpochWalk::next() {
  const bool buffered = options_.shuffle && options_.shuffle_buffer > 1;
  if (!buffered) {
    ++emitted_;
    return order_[pull()];
  }
  while (static_cast<int64_t>(buffer_.size()) < options_.shuffle_buffer && pulled_ < share_) {
    buffer_.push_back(pull());
  }
  const size_t j = static_cast<size_t>(draw(buffer_.size()));
  const int64_t position = buffer_[j];
  if (pulled_ < share_) {
    buffer_[j] = pull();
  } else {
    buffer_[j] = buffer_.back();
    buffer_.pop_back();
  }
  ++emitted_;
  return order_[position];
}

int64_t EpochWalk::earliest_pending() const {
  int64_t earliest = pulled_ < share_ ? start_ + rank_ + pulled_ * world_ : catalog_.total();
  for (int64_t position : buffer_) earliest = std::min(earliest, position);
  return earliest;
}

int64_t EpochWalk::next_to_pull() const {
  return pulled_ < share_ ? order_[start_ + rank_ + pulled_ * world_] : -1;
}

}  // namespace tetra::data
