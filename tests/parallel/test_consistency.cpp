#include "parallel/consistency.h"
#include "parallel_test_support.h"

namespace tetra::parallel {
namespace {

using testing::world;

TEST(Consistency, IdenticalTextsPass) {
  EXPECT_TRUE(check_identical(*world().communicator(), "config", "run.seed: 0\noptim.lr: 0.001\n", "fix it").ok());
}

TEST(Consistency, DifferingRankReportsTheKeysOnEveryRank) {
  if (world().size() < 2) GTEST_SKIP() << "needs two ranks (tests/integration/mpi_parallel_units.sh runs it)";
  const std::string lr = world().rank() == 1 ? "0.002" : "0.001";
  const std::string text = "run.seed: 0\noptim.lr: " + lr + "\n" + (world().rank() == 1 ? "extra.key: 3\n" : "");
  auto status = check_identical(*world().communicator(), "config", text, "Run the same config everywhere.");
  ASSERT_FALSE(status.ok()) << "every rank must see the mismatch, rank " << world().rank() << " did not";
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  const std::string message(status.message());
  EXPECT_NE(message.find("rank 1: "), std::string::npos) << message;
  EXPECT_NE(message.find("optim.lr = 0.002 (rank 0: 0.001)"), std::string::npos) << message;
  EXPECT_NE(message.find("extra.key = 3 (rank 0: missing)"), std::string::npos) << message;
  EXPECT_NE(message.find("Run the same config everywhere."), std::string::npos) << message;
}

TEST(Consistency, HashIsStable) {
  EXPECT_EQ(fnv1a64(""), 14695981039346656037ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
}

}  // namespace
}  // namespace tetra::parallel
