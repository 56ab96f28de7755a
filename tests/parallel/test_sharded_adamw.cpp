#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "parallel/buckets.h"
#include "parallel/sharded_adamw.h"
#include "parallel_test_support.h"

namespace tetra::parallel {
namespace {

using testing::close;

std::vector<ParamShard> whole(const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& grads) {
  std::vector<ParamShard> out;
  for (size_t i = 0; i < params.size(); ++i)
    out.push_back({static_cast<int64_t>(i), 0, params[i].detach().view(-1), grads[i].view(-1)});
  return out;
}

// Rank r's ZeRO-1 pieces of `params` when they share one bucket split `shards` ways.
std::vector<ParamShard> sharded(const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& grads,
                                int64_t rank, int64_t shards) {
  auto plan = plan_buckets(params, 1 << 30, 1 << 30, shards);
  std::vector<ParamShard> out;
  for (const auto& s : shard_segments(plan.buckets[0], rank, shards))
    out.push_back({s.param, s.param_offset, params[s.param].detach().view(-1).narrow(0, s.param_offset, s.numel),
                   grads[s.param].view(-1).narrow(0, s.param_offset, s.numel)});
  return out;
}

std::vector<torch::Tensor> random_like(const std::vector<int64_t>& numels, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::vector<torch::Tensor> out;
  for (auto n : numels) out.push_back(at::normal(0.0, 1.0, {n}, gen));
  return out;
}

TEST(ShardedAdamW, MatchesLibTorchAdamWBitwise) {
  torch::manual_seed(3);
  std::vector<torch::Tensor> ours = {torch::randn({16, 8}), torch::randn({8}), torch::randn({4, 4})};
  std::vector<torch::Tensor> theirs;
  for (auto& p : ours) theirs.push_back(p.clone().requires_grad_(true));
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{theirs[0], theirs[2]},
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(1e-2).betas({0.9, 0.95}).eps(1e-8).weight_decay(0.1)));
  groups.emplace_back(std::vector<torch::Tensor>{theirs[1]},
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(3e-3).betas({0.9, 0.95}).eps(1e-8).weight_decay(0.0)));
  torch::optim::AdamW reference(std::move(groups), torch::optim::AdamWOptions(1e-2));
  ShardedAdamW adamw({"a", "b", "c"}, {0, 1, 0}, {{1e-2, 0.1}, {3e-3, 0.0}}, {0.9, 0.95, 1e-8});
  for (int step = 0; step < 6; ++step) {
    std::vector<torch::Tensor> grads;
    for (auto& p : ours) grads.push_back(torch::randn(p.sizes()));
    const bool skip_c = step == 2;  // no gradient for "c" this step
    for (size_t i = 0; i < theirs.size(); ++i)
      theirs[i].mutable_grad() = (i == 2 && skip_c) ? torch::Tensor() : grads[i].clone();
    reference.step();
    adamw.step(whole(ours, grads), [&](int64_t p) { return p == 2 && skip_c; });
  }
  for (size_t i = 0; i < ours.size(); ++i) EXPECT_TRUE(ours[i].equal(theirs[i].detach())) << "parameter " << i;
  EXPECT_EQ(adamw.step_count(2, 0), 5);
}

TEST(ShardedAdamW, StateSavedUnderOneShardingLoadsUnderAnother) {
  const std::vector<int64_t> numels = {5, 17, 1, 33};
  const std::vector<std::string> names = {"w0", "w1", "w2", "w3"};
  const std::vector<int64_t> group_of = {0, 0, 1, 1};
  const std::vector<AdamWGroup> groups = {{1e-2, 0.1}, {5e-3, 0.0}};
  // Two ranks of a ZeRO-1 run (each with its own replica of the parameters) and one whole run.
  auto replica0 = random_like(numels, 1), replica1 = random_like(numels, 1), single = random_like(numels, 1);
  ShardedAdamW rank0(names, group_of, groups, {}), rank1(names, group_of, groups, {}), one(names, group_of, groups, {});
  for (int step = 0; step < 3; ++step) {
    auto grads = random_like(numels, 100 + step);
    rank0.step(sharded(replica0, grads, 0, 2), [](int64_t) { return false; });
    rank1.step(sharded(replica1, grads, 1, 2), [](int64_t) { return false; });
    one.step(whole(single, grads), [](int64_t) { return false; });
  }
  auto round_trip = [](const ShardedAdamW& from) {
    torch::serialize::OutputArchive out;
    from.save(out);
    std::ostringstream bytes;
    out.save_to(bytes);
    torch::serialize::InputArchive in;
    std::istringstream stream(bytes.str());
    in.load_from(stream);
    return in;
  };
  std::vector<torch::serialize::InputArchive> archives;
  archives.push_back(round_trip(rank0));
  archives.push_back(round_trip(rank1));
  // Into one process (world 2 -> 1) ...
  auto grads = random_like(numels, 7);
  ShardedAdamW merged(names, group_of, groups, {});
  ASSERT_TRUE(merged.load(archives, whole(single, grads)).ok());
  for (int64_t p = 0; p < 4; ++p) {
    auto [m, v] = merged.moments(p, 0);
    auto [m1, v1] = one.moments(p, 0);
    EXPECT_TRUE(close(m, m1, 1e-6, 1e-9)) << names[p];
    EXPECT_TRUE(close(v, v1, 1e-6, 1e-9)) << names[p];
    EXPECT_EQ(merged.step_count(p, 0), 3);
  }
  // ... and into three ranks (world 2 -> 3): every piece is there.
  for (int64_t r = 0; r < 3; ++r) {
    ShardedAdamW third(names, group_of, groups, {});
    auto pieces = sharded(single, grads, r, 3);
    ASSERT_TRUE(third.load(archives, pieces).ok());
    for (const auto& s : pieces) {
      auto [m, v] = third.moments(s.param, s.offset);
      ASSERT_TRUE(m.defined());
      EXPECT_TRUE(close(m, one.moments(s.param, 0).first.narrow(0, s.offset, m.numel()), 1e-6, 1e-9));
    }
  }
}

TEST(ShardedAdamW, StateOfAnotherModelSizeIsRejectedByName) {
  auto params = random_like({10}, 1), grads = random_like({10}, 2);
  ShardedAdamW small({"encoder.w"}, {0}, {{1e-3, 0}}, {});
  small.step(whole(params, grads), [](int64_t) { return false; });
  torch::serialize::OutputArchive out;
  small.save(out);
  std::ostringstream bytes;
  out.save_to(bytes);
  std::vector<torch::serialize::InputArchive> archives(1);
  std::istringstream stream(bytes.str());
  archives[0].load_from(stream);
  auto bigger = random_like({12}, 1);
  ShardedAdamW big({"encoder.w"}, {0}, {{1e-3, 0}}, {});
  auto status = big.load(archives, whole(bigger, random_like({12}, 3)));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(std::string(status.message()).find("encoder.w"), std::string::npos) << status;
}

}  // namespace
}  // namespace tetra::parallel
