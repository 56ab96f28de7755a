// How gradients are grouped for reduction: a pure layout, no communication.
//
// Parameters go into buckets in reverse order, which is roughly the order in which backward
// produces their gradients, so the first bucket fills first and its reduction starts while the rest
// of backward runs. The first bucket is small (PyTorch DDP uses 1 MiB) to start communication early;
// the others hold about `bucket_bytes`. A bucket is one flat buffer of one dtype on one device,
// padded to a multiple of the shard count so that ZeRO-1 can split it evenly across ranks.
#pragma once
#include <torch/types.h>

#include <vector>

namespace tetra::parallel {

struct BucketEntry {
  int64_t param = 0;   // index into the parameter list
  int64_t offset = 0;  // first element in the bucket's flat buffer
  int64_t numel = 0;
};

struct Bucket {
  std::vector<BucketEntry> entries;
  int64_t numel = 0;         // sum of the entries
  int64_t padded_numel = 0;  // numel rounded up to a multiple of the shard count
  torch::ScalarType dtype = torch::kFloat;
  torch::Device device{torch::kCPU};
};

struct BucketPlan {
  std::vector<Bucket> buckets;
  std::vector<int64_t> bucket_of;  // per parameter
  std::vector<int64_t> entry_of;   // per parameter: its index in bucket_of[param].entries
};

// A bucket closes once it holds at least its cap (so one large parameter gets a bucket of its own),
// or when the dtype or device changes.
BucketPlan plan_buckets(const std::vector<torch::Tensor>& params, int64_t first_bucket_bytes, int64_t bucket_bytes,
                        int64_t shards);

// ZeRO-1: rank r owns elements [r * s, (r + 1) * s) of every bucket, s = padded_numel / shards. A
// segment is the part of one parameter that falls inside that range.
struct ShardSegment {
  int64_t param = 0;
  int64_t param_offset = 0;  // first element within the (flattened) parameter
  int64_t shard_offset = 0;  // first element within the rank's shard of the bucket
  int64_t numel = 0;
};
std::vector<ShardSegment> shard_segments(const Bucket& bucket, int64_t rank, int64_t shards);

}  // namespace tetra::parallel
