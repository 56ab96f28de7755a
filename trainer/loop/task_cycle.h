// Round-robin task sampling (SPEC section 4): a stage's task mix becomes a fixed cycle of
// micro-batches, each task appearing in proportion to its share, spread as evenly as possible.
// Gradients accumulate over the cycle and the optimizer steps once per cycle, so a task's share of
// the cycle is its gradient-accumulation count. The cycle is a pure function of the mix: every
// rank and every resumed run walks the same sequence.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tetra::trainer {

enum class Task { kImageReconstruction, kImageUnderstanding, kVideoReconstruction, kVideoUnderstanding,
                  k3dReconstruction, k3dUnderstanding };

const char* task_name(Task task);                       // "image_rec", "image_und", ...
absl::StatusOr<Task> task_from_name(const std::string& name);  // error lists the valid names
std::vector<Task> all_tasks();

struct TaskShare {
  Task task;
  double share = 0;  // any positive scale; normalised over the mix
};

// Integer slot counts: the smallest cycle (<= max_cycle slots) whose proportions are within
// `tolerance` (absolute, on normalised shares) of the mix, then interleaved by smooth weighted
// round robin. 22.2 / 11.1 / 66.6 gives a 9-slot cycle with 2 / 1 / 6 slots.
absl::StatusOr<std::vector<Task>> make_task_cycle(const std::vector<TaskShare>& mix, int64_t max_cycle = 64,
                                                  double tolerance = 0.01);

}  // namespace tetra::trainer
