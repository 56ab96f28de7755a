#include "parallel/buckets.h"

#include <torch/torch.h>

namespace tetra::parallel {

BucketPlan plan_buckets(const std::vector<torch::Tensor>& params, int64_t first_bucket_bytes, int64_t bucket_bytes,
                        int64_t shards) {
  TORCH_CHECK(first_bucket_bytes > 0 && bucket_bytes > 0 && shards > 0, "bucket caps and shard count must be positive");
  BucketPlan plan;
  plan.bucket_of.assign(params.size(), -1);
  plan.entry_of.assign(params.size(), -1);
  auto close = [&] {
    Bucket& b = plan.buckets.back();
    b.padded_numel = (b.numel + shards - 1) / shards * shards;
  };
  int64_t bytes = 0;
  for (int64_t i = static_cast<int64_t>(params.size()) - 1; i >= 0; --i) {
    const torch::Tensor& p = params[static_cast<size_t>(i)];
    const int64_t cap = plan.buckets.size() <= 1 ? first_bucket_bytes : bucket_bytes;
    const bool fits = !plan.buckets.empty() && plan.buckets.back().dtype == p.scalar_type() &&
                      plan.buckets.back().device == p.device() && bytes < cap;
    if (!fits) {
      if (!plan.buckets.empty()) close();
      Bucket b;
      b.dtype = p.scalar_type();
      b.device = p.device();
      plan.buckets.push_back(b);
      bytes = 0;
    }
    Bucket& b = plan.buckets.back();
    plan.bucket_of[static_cast<size_t>(i)] = static_cast<int64_t>(plan.buckets.size()) - 1;
    plan.entry_of[static_cast<size_t>(i)] = static_cast<int64_t>(b.entries.size());
    b.entries.push_back({i, b.numel, p.numel()});
    b.numel += p.numel();
    bytes += p.numel() * p.element_size();
  }
  if (!plan.buckets.empty()) close();
  return plan;
}

std::vector<ShardSegment> shard_segments(const Bucket& bucket, int64_t rank, int64_t shards) {
  const int64_t size = bucket.padded_numel / shards;
  const int64_t begin = rank * size, end = begin + size;
  std::vector<ShardSegment> out;
  for (const auto& e : bucket.entries) {
    const int64_t lo = std::max(begin, e.offset), hi = std::min(end, e.offset + e.numel);
    if (lo < hi) out.push_back({e.param, lo - e.offset, lo - begin, hi - lo});
  }
  return out;
}

}  // namespace tetra::parallel
