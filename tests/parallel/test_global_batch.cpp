// GlobalBatch: one exchange of every rank's slot sizes, each rank's share of a slot, and the
// gathered rows of an understanding slot. Runs as one process and as two MPI ranks
// (tests/integration/mpi_parallel_units.sh); expectations hold for any world size.
#include <memory>

#include "parallel/global_batch.h"
#include "parallel/mesh.h"
#include "parallel/self_communicator.h"
#include "parallel_test_support.h"

namespace tetra::parallel {
namespace {

using testing::world;

Group dp_group() {
  auto mesh = ProcessMesh::Create(world(), MeshOptions{});
  TORCH_CHECK(mesh.ok(), mesh.status().ToString());
  return mesh->data_parallel();
}

// Rank r's slots: a reconstruction slot of 10 (r + 1) tokens in r + 1 samples, an understanding
// slot of 5 + r tokens in 2 r samples (rank 0 has none), and a reconstruction slot of 7 tokens.
std::vector<SlotSize> sizes_of(int64_t r) {
  return {{10 * (r + 1), r + 1, MeanOver::kTokens}, {5 + r, 2 * r, MeanOver::kSamples}, {7, 1, MeanOver::kTokens}};
}

TEST(GlobalBatch, SumsEveryRanksSizesAndSharesByTheSlotsMean) {
  const Group group = dp_group();
  const int64_t ranks = group.size(), r = group.rank();
  const auto batch = GlobalBatch::exchange(group, sizes_of(r));
  ASSERT_EQ(batch.slots(), 3);
  int64_t tokens0 = 0, samples1 = 0;
  for (int64_t q = 0; q < ranks; ++q) {
    tokens0 += sizes_of(q)[0].tokens;
    samples1 += sizes_of(q)[1].samples;
    EXPECT_EQ(batch.samples_of(1, static_cast<int>(q)), 2 * q);
  }
  EXPECT_EQ(batch.global_tokens(0), tokens0);
  EXPECT_EQ(batch.global_samples(1), samples1);
  EXPECT_EQ(batch.global_tokens(2), 7 * ranks);
  EXPECT_EQ(batch.global_tokens(), tokens0 + (5 * ranks + ranks * (ranks - 1) / 2) + 7 * ranks);
  EXPECT_EQ(batch.local(0).tokens, 10 * (r + 1));
  // The very expression the weights use: local / global, by tokens or by samples.
  EXPECT_EQ(batch.share(0), static_cast<double>(10 * (r + 1)) / static_cast<double>(tokens0));
  if (samples1 > 0) EXPECT_EQ(batch.share(1), static_cast<double>(2 * r) / static_cast<double>(samples1));
  EXPECT_EQ(batch.share(2), 1.0 / static_cast<double>(ranks));
  // The ranks' shares of a slot add up to one: summed gradients are the global mean's.
  auto shares = torch::tensor({batch.share(0), batch.share(2)}, torch::kDouble);
  group.host->all_reduce(shares, ReduceOp::kSum)->wait();
  EXPECT_NEAR(shares[0].item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(shares[1].item<double>(), 1.0, 1e-12);
}

TEST(GlobalBatch, GathersEveryRanksRowsInRankOrder) {
  const Group group = dp_group();
  const int64_t r = group.rank();
  const auto batch = GlobalBatch::exchange(group, sizes_of(r));
  // Row i of rank q holds 100 q + i in each of its 4 columns.
  auto rows = (torch::arange(2 * r, torch::kFloat) + 100.0 * static_cast<double>(r)).unsqueeze(1).repeat({1, 4});
  const auto gathered = batch.gather_rows(1, rows);
  if (group.size() == 1) {
    EXPECT_FALSE(gathered.has_value()) << "one process: the losses use the local rows as the whole batch";
    return;
  }
  ASSERT_TRUE(gathered.has_value());
  int64_t first = 0, row = 0;
  for (int64_t q = 0; q < group.size(); ++q) {
    if (q == r) first = row;
    for (int64_t i = 0; i < 2 * q; ++i, ++row)
      EXPECT_EQ(gathered->all[row][0].item<float>(), static_cast<float>(100 * q + i)) << "row " << row;
  }
  EXPECT_EQ(gathered->all.size(0), row);
  EXPECT_EQ(gathered->all.size(1), 4);
  EXPECT_EQ(gathered->first_row, first);
}

TEST(GlobalBatch, OneProcessIsWeightOneAndGathersNothing) {
  auto self = std::make_shared<SelfCommunicator>();
  const auto batch =
      GlobalBatch::exchange(Group{"dp", self, self}, {{12, 3, MeanOver::kTokens}, {4, 2, MeanOver::kSamples}});
  EXPECT_EQ(batch.share(0), 1.0);
  EXPECT_EQ(batch.share(1), 1.0);
  EXPECT_EQ(batch.global_tokens(), 16);
  EXPECT_EQ(batch.global_samples(1), 2);
  EXPECT_FALSE(batch.gather_rows(1, torch::zeros({2, 8})).has_value());
  EXPECT_THROW(batch.gather_rows(1, torch::zeros({3, 8})), c10::Error) << "rows must be the slot's samples";
}

}  // namespace
}  // namespace tetra::parallel
