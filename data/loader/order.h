// The order in which one rank visits samples (docs/data-format.md, "The multi-modal loader"):
// shards in a seeded per-epoch order, samples within a shard in a seeded order, positions striped
// over ranks, then a seeded shuffle buffer. Every random choice is a pure function of (seed, epoch,
// start, world, rank, draw number), so the state after n samples is reproduced by replaying n steps
// over integers only: that replay is how a cursor resumes exactly.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tetra::data {

// Sample counts of the shards, in list_shards order; global index = shard start + local index.
struct ShardCatalog {
  std::vector<std::string> paths;
  std::vector<int64_t> starts{0};  // starts[i]: first global index of shard i; back() == total
  int64_t total() const { return starts.back(); }
  std::pair<size_t, int64_t> locate(int64_t global) const;  // (shard, index in shard)
};

struct OrderOptions {
  uint64_t seed = 0;
  bool shuffle = true;
  int64_t shuffle_buffer = 1024;  // samples; 0 or 1: no buffer
};

class EpochWalk {
 public:
  // Rank `rank` of `world` walks epoch positions start + rank + k * world.
  EpochWalk(const ShardCatalog& catalog, const OrderOptions& options, int64_t epoch, int64_t start,
            int64_t world, int64_t rank);
  bool done() const { return buffer_.empty() && pulled_ >= share_; }
  // The next global sample index (requires !done()).
  int64_t next();
  int64_t emitted() const { return emitted_; }
  int64_t consumed() const { return pulled_; }  // positions pulled into the buffer
  // The smallest epoch position this rank has not emitted yet (catalog total when none is left).
  int64_t earliest_pending() const;
  // Global index of the next position to be pulled into the buffer (-1 when none is left).
  int64_t next_to_pull() const;

 private:
  int64_t pull();  // the global index at the next position of this rank
  uint64_t draw(uint64_t n);

  const ShardCatalog& catalog_;
  OrderOptions options_;
  int64_t epoch_, start_, world_, rank_;
  std::vector<int64_t> order_;   // epoch position -> global index
  int64_t share_ = 0;            // positions this rank walks
  int64_t pulled_ = 0;
  int64_t emitted_ = 0;
  std::vector<int64_t> buffer_;  // epoch positions waiting in the shuffle buffer
};

}  // namespace tetra::data
