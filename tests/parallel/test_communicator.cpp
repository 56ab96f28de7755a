#include <numeric>

#include "parallel/communicator.h"
#include "parallel_test_support.h"

namespace tetra::parallel {
namespace {

using testing::world;

TEST(Communicator, AllReduceSumAvgMaxMin) {
  auto& comm = *world().communicator();
  const int r = comm.rank(), n = comm.size();
  auto sum = torch::full({5}, static_cast<float>(r + 1));
  auto avg = sum.clone(), mx = sum.clone(), mn = sum.clone();
  auto w1 = comm.all_reduce(sum, ReduceOp::kSum);
  auto w2 = comm.all_reduce(avg, ReduceOp::kAvg);
  auto w3 = comm.all_reduce(mx, ReduceOp::kMax);
  auto w4 = comm.all_reduce(mn, ReduceOp::kMin);
  for (auto* w : {&w1, &w2, &w3, &w4}) (*w)->wait();
  const float total = n * (n + 1) / 2.0f;
  EXPECT_TRUE(sum.eq(total).all().item<bool>()) << sum;
  EXPECT_TRUE(avg.eq(total / n).all().item<bool>()) << avg;
  EXPECT_TRUE(mx.eq(static_cast<float>(n)).all().item<bool>()) << mx;
  EXPECT_TRUE(mn.eq(1.0f).all().item<bool>()) << mn;
}

TEST(Communicator, AllReduceIntegersAndBfloat16) {
  auto& comm = *world().communicator();
  const int n = comm.size();
  auto ints = torch::full({3}, int64_t{1} << 40, torch::kInt64);
  comm.all_reduce(ints, ReduceOp::kSum)->wait();
  EXPECT_EQ(ints[2].item<int64_t>(), n * (int64_t{1} << 40));
  auto half = torch::full({4}, 1.5, torch::kBFloat16);
  comm.all_reduce(half, ReduceOp::kSum)->wait();
  EXPECT_EQ(half.scalar_type(), torch::kBFloat16);
  EXPECT_FLOAT_EQ(half[0].item<float>(), 1.5f * n);
  EXPECT_THROW(comm.all_reduce(ints, ReduceOp::kAvg), c10::Error);  // no average of integers
}

TEST(Communicator, BroadcastFromEveryRoot) {
  auto& comm = *world().communicator();
  for (int root = 0; root < comm.size(); ++root) {
    auto t = torch::full({2, 3}, static_cast<double>(comm.rank() * 10 + 7), torch::kDouble);
    comm.broadcast(t, root)->wait();
    EXPECT_TRUE(t.eq(root * 10 + 7).all().item<bool>()) << "root " << root << ": " << t;
  }
  EXPECT_THROW(comm.broadcast(torch::zeros({1}), comm.size()), c10::Error);
}

TEST(Communicator, AllGatherAndReduceScatter) {
  auto& comm = *world().communicator();
  const int r = comm.rank(), n = comm.size();
  auto mine = torch::arange(3, torch::kFloat) + 100 * r;
  auto all = torch::empty({3 * n});
  comm.all_gather(mine, all)->wait();
  for (int q = 0; q < n; ++q) EXPECT_TRUE(all.narrow(0, 3 * q, 3).equal(torch::arange(3, torch::kFloat) + 100 * q));

  // Every rank contributes (rank + 1) * [0, 1, 2, ...]; rank q gets chunk q of the sum.
  auto input = torch::arange(2 * n, torch::kFloat) * (r + 1);
  auto out = torch::empty({2});
  comm.reduce_scatter(input, out, ReduceOp::kSum)->wait();
  const float weight = n * (n + 1) / 2.0f;
  EXPECT_TRUE(out.equal(torch::arange(2 * r, 2 * r + 2, torch::kFloat) * weight)) << out;
  EXPECT_THROW(comm.all_gather(mine, torch::empty({3 * n + 1})), c10::Error);
  EXPECT_THROW(comm.reduce_scatter(input, torch::empty({3}), ReduceOp::kSum), c10::Error);
}

TEST(Communicator, AllToAllWithVariableSplits) {
  auto& comm = *world().communicator();
  const int r = comm.rank(), n = comm.size();
  // Rank r sends r + q + 1 rows to rank q; each row is [source, destination, k].
  std::vector<int64_t> send(n), recv(n);
  std::vector<torch::Tensor> rows;
  for (int q = 0; q < n; ++q) {
    send[q] = r + q + 1;
    recv[q] = q + r + 1;
    for (int64_t k = 0; k < send[q]; ++k) rows.push_back(torch::tensor({r, q, static_cast<int>(k)}, torch::kInt32));
  }
  auto input = torch::stack(rows);
  auto output = torch::empty({std::accumulate(recv.begin(), recv.end(), int64_t{0}), 3}, torch::kInt32);
  comm.all_to_all(input, send, output, recv)->wait();
  int64_t at = 0;
  for (int q = 0; q < n; ++q)
    for (int64_t k = 0; k < recv[q]; ++k, ++at) {
      auto row = output[at];
      EXPECT_EQ(row[0].item<int>(), q);
      EXPECT_EQ(row[1].item<int>(), r);
      EXPECT_EQ(row[2].item<int>(), k);
    }
  send[0] += 1;
  EXPECT_THROW(comm.all_to_all(input, send, output, recv), c10::Error);
}

TEST(Communicator, OpsRunInIssueOrderAndBarrierCompletes) {
  auto& comm = *world().communicator();
  auto t = torch::ones({1000});
  std::vector<std::shared_ptr<Work>> works;
  for (int i = 0; i < 20; ++i) works.push_back(comm.all_reduce(t, ReduceOp::kAvg));
  works.push_back(comm.barrier());
  for (auto& w : works) w->wait();
  for (auto& w : works) EXPECT_TRUE(w->completed());
  EXPECT_TRUE(t.eq(1.0f).all().item<bool>());
}

TEST(Communicator, StringsAndScalarsHelpers) {
  auto& comm = *world().communicator();
  auto texts = all_gather_strings(comm, std::string(static_cast<size_t>(comm.rank()) + 1, 'x'));
  ASSERT_EQ(static_cast<int>(texts.size()), comm.size());
  for (int q = 0; q < comm.size(); ++q) EXPECT_EQ(texts[q], std::string(static_cast<size_t>(q) + 1, 'x'));
  EXPECT_EQ(broadcast_string(comm, comm.rank() == 0 ? "from zero" : "", 0), "from zero");
  EXPECT_EQ(all_reduce_int(comm, comm.rank(), ReduceOp::kMax), comm.size() - 1);
}

TEST(Communicator, AllGatherRowsWithUnevenCounts) {
  auto& comm = *world().communicator();
  // Rank r holds r + 1 rows of [r, r, r].
  const int r = comm.rank();
  auto mine = torch::full({r + 1, 3}, static_cast<float>(r));
  auto got = all_gather_rows(comm, comm, mine);
  const int64_t n = comm.size();
  ASSERT_EQ(got.all.size(0), n * (n + 1) / 2);
  EXPECT_EQ(got.first_row, static_cast<int64_t>(r) * (r + 1) / 2);
  EXPECT_TRUE(torch::equal(got.all.narrow(0, got.first_row, r + 1), mine));
  int64_t row = 0;
  for (int q = 0; q < n; ++q)
    for (int k = 0; k <= q; ++k, ++row) EXPECT_EQ(got.all[row][0].item<float>(), static_cast<float>(q)) << "row " << row;
}

TEST(Communicator, RejectsNonContiguousTensorsBeforeCommunicating) {
  auto& comm = *world().communicator();
  try {
    comm.all_reduce(torch::ones({4, 3}).t(), ReduceOp::kSum);
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("contiguous"), std::string::npos) << e.what();
  }
  // Nothing was queued: the next collective still matches on every rank.
  EXPECT_EQ(all_reduce_int(comm, 1, ReduceOp::kSum), comm.size());
}

}  // namespace
}  // namespace tetra::parallel
