#include <algorithm>
#include <sstream>
#include <type_traits>

#include "parallel/data_parallel.h"
#include "parallel/grad_sync.h"
#include "parallel/mesh.h"
#include "parallel_test_support.h"
#include "tiny_problem.h"

namespace tetra::parallel {
namespace {

using testing::close;
using testing::world;
using namespace tetra::parallel::testing;

constexpr uint64_t kSeed = 7;

static_assert(std::is_abstract_v<GradSync>, "GradSync is the interface the trainer drives");
static_assert(std::is_base_of_v<GradSync, DataParallel>, "DataParallel is a GradSync (a BucketedGradSync)");

Group dp_group() {
  auto mesh = ProcessMesh::Create(world(), MeshOptions{});
  TORCH_CHECK(mesh.ok(), mesh.status().ToString());
  return mesh->data_parallel();
}

DataParallelOptions small_buckets(bool zero1) {
  DataParallelOptions o;
  o.first_bucket_bytes = 512;  // many buckets even for this small net
  o.bucket_bytes = 2048;
  o.zero1 = zero1;
  o.record_events = true;
  return o;
}

// This rank's samples of the global batch [0, n): positions p with p % world == rank, as the stream.
std::vector<int64_t> my_samples(int64_t n) {
  std::vector<int64_t> out;
  for (int64_t g = world().rank(); g < n; g += world().size()) out.push_back(g);
  return out;
}

// One step's backward through the GradSync protocol: `mine` split into `micro_steps` micro-batches,
// each loss weighted by its share of the global rows, as the trainer does with tokens. An empty
// micro-batch passes an undefined loss (no backward, the micro-batch still counts). Returns
// finish(max_norm)'s pre-clip norm (max_norm 0: no clipping).
torch::Tensor ddp_backward(GradSync& sync, TinyNet& net, const std::vector<int64_t>& mine, int64_t global_rows,
                           int64_t micro_steps, bool use_head, double max_norm = 0.0) {
  sync.begin_step(micro_steps);
  const int64_t per = (static_cast<int64_t>(mine.size()) + micro_steps - 1) / micro_steps;
  for (int64_t k = 0; k < micro_steps; ++k) {
    const int64_t lo = std::min<int64_t>(k * per, mine.size()), hi = std::min<int64_t>(lo + per, mine.size());
    std::vector<int64_t> micro(mine.begin() + lo, mine.begin() + hi);
    const double share = static_cast<double>(rows_of(micro)) / global_rows;
    sync.backward(micro.empty() ? torch::Tensor() : batch_loss(net, micro, use_head) * share);
  }
  return sync.finish(max_norm);
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  return v;
}

void expect_grads_match(TinyNet& net, const std::vector<torch::Tensor>& reference) {
  auto params = net->parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    ASSERT_EQ(params[i].grad().defined(), reference[i].defined()) << "parameter " << i;
    if (reference[i].defined()) EXPECT_TRUE(close(params[i].grad(), reference[i], 1e-5, 1e-7)) << "parameter " << i;
  }
}

class GradientsTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(GradientsTest, EqualTheSingleProcessGradientOfTheGlobalBatch) {
  const int64_t micro_steps = GetParam();
  auto net = make_net(kSeed);
  DataParallel dp(*net, dp_group(), small_buckets(false));
  const int64_t n = 4 * world().size() + 3;  // uneven: some ranks get one sample more
  ddp_backward(dp, net, my_samples(n), rows_of(iota(n)), micro_steps, false);
  expect_grads_match(net, reference_grads(kSeed, {{iota(n), false}}));
  EXPECT_FALSE(net->head->weight.grad().defined()) << "no rank used the head: it must get no gradient";
}

TEST_P(GradientsTest, InnerMicroStepsDoNotCommunicate) {
  const int64_t micro_steps = GetParam();
  auto net = make_net(kSeed);
  DataParallel dp(*net, dp_group(), small_buckets(false));
  ddp_backward(dp, net, my_samples(8 * world().size()), rows_of(iota(8 * world().size())), micro_steps, true);
  int64_t launches = 0;
  for (const auto& e : dp.reducer().events()) {
    if (e.kind != ReducerEvent::Kind::kLaunch) continue;
    EXPECT_EQ(e.micro_step, micro_steps - 1) << "bucket " << e.index << " launched on an inner micro-step";
    ++launches;
  }
  EXPECT_EQ(launches, static_cast<int64_t>(dp.reducer().plan().buckets.size()));
}

INSTANTIATE_TEST_SUITE_P(MicroSteps, GradientsTest, ::testing::Values(1, 2, 3));

TEST(DataParallel, FirstBucketIsLaunchedBeforeBackwardFinishes) {
  auto net = make_net(kSeed);
  DataParallel dp(*net, dp_group(), small_buckets(false));
  ASSERT_GE(dp.reducer().plan().buckets.size(), 3u);
  ddp_backward(dp, net, my_samples(4 * world().size()), rows_of(iota(4 * world().size())), 1, true);
  const auto& events = dp.reducer().events();
  auto first_launch = std::find_if(events.begin(), events.end(),
                                   [](const auto& e) { return e.kind == ReducerEvent::Kind::kLaunch; });
  auto last_grad = std::find_if(events.rbegin(), events.rend(),
                                [](const auto& e) { return e.kind == ReducerEvent::Kind::kGradReady; });
  ASSERT_NE(first_launch, events.end());
  ASSERT_NE(last_grad, events.rend());
  EXPECT_EQ(first_launch->index, 0);
  // The reduction of bucket 0 was issued while autograd still had gradients to produce.
  EXPECT_LT(first_launch - events.begin(), events.rend() - last_grad - 1);
  EXPECT_EQ(events.back().kind, ReducerEvent::Kind::kBackwardDone);
  // Launch order is bucket order.
  int64_t expected = 0;
  for (const auto& e : events)
    if (e.kind == ReducerEvent::Kind::kLaunch) EXPECT_EQ(e.index, expected++);
}

// The head is registered last, so its parameters fill the first bucket; when no rank uses it the
// graph walk must release that bucket at once instead of letting it hold back every later bucket
// until backward ends.
TEST(DataParallel, AnUnusedHeadDoesNotHoldTheOtherBucketsBack) {
  auto net = make_net(kSeed);
  DataParallel dp(*net, dp_group(), small_buckets(false));
  const auto& first = dp.reducer().plan().buckets[0].entries;
  const auto head_index = static_cast<int64_t>(dp.params().size()) - 1;  // head.bias
  ASSERT_EQ(first[0].param, head_index);
  ddp_backward(dp, net, my_samples(4 * world().size()), rows_of(iota(4 * world().size())), 1, /*use_head=*/false);
  const auto& events = dp.reducer().events();
  int64_t launches_during_backward = 0;
  for (const auto& e : events) {
    if (e.kind == ReducerEvent::Kind::kBackwardDone) break;
    if (e.kind == ReducerEvent::Kind::kLaunch) ++launches_during_backward;
  }
  EXPECT_EQ(launches_during_backward, static_cast<int64_t>(dp.reducer().plan().buckets.size()))
      << "every bucket's reduction should start before backward returns";
  EXPECT_FALSE(net->head->weight.grad().defined());
}

TEST(DataParallel, WithoutOverlapEverythingIsLaunchedAfterBackward) {
  auto net = make_net(kSeed);
  auto options = small_buckets(false);
  options.overlap = false;
  DataParallel dp(*net, dp_group(), options);
  ddp_backward(dp, net, my_samples(4 * world().size()), rows_of(iota(4 * world().size())), 1, false);
  bool backward_done = false;
  for (const auto& e : dp.reducer().events()) {
    if (e.kind == ReducerEvent::Kind::kBackwardDone) backward_done = true;
    if (e.kind == ReducerEvent::Kind::kLaunch) EXPECT_TRUE(backward_done);
  }
  expect_grads_match(net, reference_grads(kSeed, {{iota(4 * world().size()), false}}));
}

TEST(DataParallel, ParameterUsedOnlyOnRankZeroDoesNotHangAndGetsTheRightGradient) {
  auto net = make_net(kSeed);
  DataParallel dp(*net, dp_group(), small_buckets(false));
  const int64_t n = 3 * world().size();
  ddp_backward(dp, net, my_samples(n), rows_of(iota(n)), 1, /*use_head=*/world().rank() == 0);
  std::vector<Part> parts;
  for (int r = 0; r < world().size(); ++r) {
    Part part{{}, r == 0};
    for (int64_t g = r; g < n; g += world().size()) part.samples.push_back(g);
    parts.push_back(part);
  }
  expect_grads_match(net, reference_grads(kSeed, parts));
  EXPECT_TRUE(net->head->weight.grad().defined());
}

TEST(DataParallel, RanksWithoutSamplesStillTakePart) {
  auto net = make_net(kSeed);
  DataParallel dp(*net, dp_group(), small_buckets(false));
  const std::vector<int64_t> global = {0, 1, 2, 4};  // all on rank 0
  ddp_backward(dp, net, world().rank() == 0 ? global : std::vector<int64_t>{}, rows_of(global), 2, false);
  expect_grads_match(net, reference_grads(kSeed, {{global, false}}));
}

// torch::load replaces parameter data, and with it autograd's gradient accumulators: the reducer
// must follow them, or no gradient would reach its buckets after a resume.
TEST(DataParallel, KeepsReducingAfterTheModelIsLoadedFromACheckpoint) {
  auto net = make_net(kSeed);
  DataParallel dp(*net, dp_group(), small_buckets(false));
  std::stringstream saved;
  torch::save(make_net(kSeed), saved);
  torch::load(net, saved);
  const int64_t n = 2 * world().size();
  ddp_backward(dp, net, my_samples(n), rows_of(iota(n)), 1, false);
  expect_grads_match(net, reference_grads(kSeed, {{iota(n), false}}));
}

TEST(DataParallel, BroadcastMakesEveryReplicaRankZeros) {
  auto net = make_net(kSeed + static_cast<uint64_t>(world().rank()));  // different on every rank
  DataParallel dp(*net, dp_group(), small_buckets(false));
  dp.broadcast_from_rank0();
  auto rank0 = make_net(kSeed);
  EXPECT_EQ(parameter_digest(*net), parameter_digest(*rank0));
}

TEST(DataParallel, ModelSignatureNamesShapes) {
  auto net = make_net(kSeed);
  const auto signature = DataParallel::model_signature(*net);
  EXPECT_NE(signature.find("parameter a.weight: [32, 8] Float"), std::string::npos) << signature;
  DataParallel dp(*net, dp_group(), small_buckets(false));
  EXPECT_TRUE(dp.check_same_model().ok());
}

// Three optimizer steps with plain data parallelism, with ZeRO-1, and in one process on the whole
// batch: the same parameters (fp32 tolerance), and bitwise-identical replicas on every rank.
TEST(DataParallel, ZeroOneTrainsLikeUnshardedAndReplicasStayBitwiseEqual) {
  auto optimizer_for = [](const DataParallel& dp) {
    std::vector<int64_t> groups(dp.params().size(), 0);
    return ShardedAdamW(dp.names(), groups, {{1e-2, 0.1}}, AdamWOptions{});
  };
  auto plain = make_net(kSeed), sharded = make_net(kSeed), single = make_net(kSeed);
  DataParallel dp_plain(*plain, dp_group(), small_buckets(false));
  DataParallel dp_sharded(*sharded, dp_group(), small_buckets(true));
  auto opt_plain = optimizer_for(dp_plain), opt_sharded = optimizer_for(dp_sharded);
  std::vector<std::string> names;
  for (const auto& item : single->named_parameters()) names.push_back(item.key());
  ShardedAdamW opt_single(names, std::vector<int64_t>(names.size(), 0), {{1e-2, 0.1}}, AdamWOptions{});
  const int64_t n = 2 * world().size() + 1;
  for (int step = 0; step < 3; ++step) {
    for (auto* run : {&dp_plain, &dp_sharded}) {
      TinyNet& net = run == &dp_plain ? plain : sharded;
      auto& opt = run == &dp_plain ? opt_plain : opt_sharded;
      ddp_backward(*run, net, my_samples(n), rows_of(iota(n)), 2, false, /*max_norm=*/0.5);
      opt.step(run->owned_shards(), [&](int64_t p) { return !run->reducer().used(p); });
      run->gather_parameters();
    }
    single->zero_grad();
    batch_loss(single, iota(n), false).backward();
    torch::nn::utils::clip_grad_norm_(single->parameters(), 0.5);
    std::vector<ParamShard> whole;
    auto params = single->parameters();
    for (size_t i = 0; i < params.size(); ++i)
      if (params[i].grad().defined())
        whole.push_back({static_cast<int64_t>(i), 0, params[i].detach().view(-1), params[i].grad().view(-1)});
    opt_single.step(whole, [](int64_t) { return false; });
  }
  auto p = plain->parameters(), s = sharded->parameters(), one = single->parameters();
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_TRUE(close(p[i], one[i], 1e-5, 1e-6)) << "plain vs single process, parameter " << i;
    EXPECT_TRUE(close(s[i], one[i], 1e-5, 1e-6)) << "ZeRO-1 vs single process, parameter " << i;
  }
  auto& comm = *world().communicator();
  for (TinyNet* net : {&plain, &sharded}) {
    auto digest = torch::tensor({parameter_digest(**net)}, torch::kInt64);
    auto all = torch::empty({comm.size()}, torch::kInt64);
    comm.all_gather(digest, all)->wait();
    EXPECT_TRUE((all == all[0]).all().item<bool>()) << "replicas differ: " << all;
  }
}

TEST(DataParallel, ClipGradNormMatchesLibTorch) {
  auto net = make_net(kSeed), ref = make_net(kSeed);
  for (bool zero1 : {false, true}) {
    DataParallel dp(*net, dp_group(), small_buckets(zero1));
    const int64_t n = 2 * world().size();
    const double norm = ddp_backward(dp, net, my_samples(n), rows_of(iota(n)), 1, false).item<double>();
    ref->zero_grad();
    batch_loss(ref, iota(n), false).backward();
    const double expected = torch::nn::utils::clip_grad_norm_(ref->parameters(), 1e30);
    EXPECT_NEAR(norm, expected, 1e-5 * expected) << (zero1 ? "ZeRO-1" : "plain");
  }
}

// finish(max_norm) leaves the gradients LibTorch's clip_grad_norm_ leaves, whole or as ZeRO-1 shards.
TEST(DataParallel, FinishClipsLikeLibTorch) {
  auto net = make_net(kSeed), ref = make_net(kSeed);
  const int64_t n = 2 * world().size() + 1;
  ref->zero_grad();
  batch_loss(ref, iota(n), false).backward();
  torch::nn::utils::clip_grad_norm_(ref->parameters(), 0.05);
  const auto ref_params = ref->parameters();
  for (bool zero1 : {false, true}) {
    DataParallel dp(*net, dp_group(), small_buckets(zero1));
    const double norm =
        ddp_backward(dp, net, my_samples(n), rows_of(iota(n)), 2, false, /*max_norm=*/0.05).item<double>();
    ASSERT_GT(norm, 0.05) << "the gradient must be large enough to be clipped";
    for (const auto& shard : dp.owned_shards()) {
      const auto& expected = ref_params[static_cast<size_t>(shard.param)].grad();
      ASSERT_EQ(dp.used(shard.param), expected.defined()) << "parameter " << shard.param;
      if (!expected.defined()) continue;
      EXPECT_TRUE(close(shard.grad, expected.reshape(-1).narrow(0, shard.offset, shard.grad.numel()), 1e-5, 1e-7))
          << (zero1 ? "ZeRO-1" : "plain") << ", parameter " << shard.param;
    }
  }
}

}  // namespace
}  // namespace tetra::parallel
