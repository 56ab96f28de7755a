#include <gtest/gtest.h>

#include <map>

#include "trainer/loop/task_cycle.h"

namespace tetra::trainer {
namespace {

std::map<Task, int> count(const std::vector<Task>& cycle) {
  std::map<Task, int> c;
  for (auto t : cycle) ++c[t];
  return c;
}

TEST(TaskCycle, Stage2MixIsANineSlotCycle) {
  auto cycle = make_task_cycle({{Task::kImageReconstruction, 22.2},
                                {Task::kVideoUnderstanding, 11.1},
                                {Task::kVideoReconstruction, 66.6}});
  ASSERT_TRUE(cycle.ok()) << cycle.status();
  ASSERT_EQ(cycle->size(), 9u);
  auto c = count(*cycle);
  EXPECT_EQ(c[Task::kImageReconstruction], 2);
  EXPECT_EQ(c[Task::kVideoUnderstanding], 1);
  EXPECT_EQ(c[Task::kVideoReconstruction], 6);
  // Spread, not blocked: never three video_rec slots in a row.
  for (size_t i = 0; i + 2 < cycle->size(); ++i)
    EXPECT_FALSE((*cycle)[i] == Task::kVideoReconstruction && (*cycle)[i + 1] == Task::kVideoReconstruction &&
                 (*cycle)[i + 2] == Task::kVideoReconstruction)
        << "at slot " << i;
}

TEST(TaskCycle, Stage3MixAndSingleTask) {
  auto cycle = make_task_cycle({{Task::kImageReconstruction, 22.2}, {Task::kVideoUnderstanding, 11.1},
                                {Task::kVideoReconstruction, 44.4}, {Task::k3dUnderstanding, 11.1},
                                {Task::k3dReconstruction, 11.1}});
  ASSERT_TRUE(cycle.ok());
  auto c = count(*cycle);
  EXPECT_EQ(cycle->size(), 9u);
  EXPECT_EQ(c[Task::kVideoReconstruction], 4);
  EXPECT_EQ(c[Task::k3dReconstruction], 1);
  auto single = make_task_cycle({{Task::kImageReconstruction, 100}});
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->size(), 1u);
}

TEST(TaskCycle, BadMixes) {
  EXPECT_FALSE(make_task_cycle({}).ok());
  EXPECT_EQ(make_task_cycle({}).status().code(), absl::StatusCode::kInvalidArgument);
  auto zero = make_task_cycle({{Task::kImageReconstruction, 1}, {Task::kVideoReconstruction, 0}});
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(zero.status().message()).find("video_rec"), std::string::npos);
  auto unknown = task_from_name("audio_rec");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(unknown.status().message()).find("3d_und"), std::string::npos);
  EXPECT_EQ(*task_from_name("3d_rec"), Task::k3dReconstruction);
}

}  // namespace
}  // namespace tetra::trainer
