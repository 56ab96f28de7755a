#include "trainer/loop/task_cycle.h"

#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tetra::trainer {
namespace {

struct NamedTask {
  Task task;
  const char* name;
};
constexpr NamedTask kTasks[] = {
    {Task::kImageReconstruction, "image_rec"}, {Task::kImageUnderstanding, "image_und"},
    {Task::kVideoReconstruction, "video_rec"}, {Task::kVideoUnderstanding, "video_und"},
    {Task::k3dReconstruction, "3d_rec"},     {Task::k3dUnderstanding, "3d_und"},
};

// Slot counts for a cycle of `length` slots: largest-remainder rounding of share * length.
std::vector<int64_t> slots_for(const std::vector<double>& shares, int64_t length) {
  std::vector<int64_t> slots(shares.size());
  std::vector<std::pair<double, size_t>> remainders;
  int64_t used = 0;
  for (size_t i = 0; i < shares.size(); ++i) {
    const double exact = shares[i] * static_cast<double>(length);
    slots[i] = static_cast<int64_t>(std::floor(exact));
    used += slots[i];
    remainders.push_back({exact - std::floor(exact), i});
  }
  std::sort(remainders.begin(), remainders.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (size_t k = 0; used < length; ++k, ++used) ++slots[remainders[k].second];
  return slots;
}

}  // namespace

const char* task_name(Task task) {
  for (const auto& t : kTasks)
    if (t.task == task) return t.name;
  return "unknown";
}

std::vector<Task> all_tasks() {
  std::vector<Task> tasks;
  for (const auto& t : kTasks) tasks.push_back(t.task);
  return tasks;
}

absl::StatusOr<Task> task_from_name(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& t : kTasks) {
    if (name == t.name) return t.task;
    names.push_back(t.name);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown task '", name, "'; tasks are: ", absl::StrJoin(names, ", ")));
}

absl::StatusOr<std::vector<Task>> make_task_cycle(const std::vector<TaskShare>& mix, int64_t max_cycle,
                                                  double tolerance) {
  double total = 0;
  for (const auto& m : mix) {
    if (!(m.share > 0)) return absl::InvalidArgumentError(absl::StrCat("task '", task_name(m.task), "' has share ", m.share, "; shares must be positive (drop the task instead)"));
    total += m.share;
  }
  if (mix.empty()) return absl::InvalidArgumentError("a stage needs at least one task in its mix");
  std::vector<double> shares;
  for (const auto& m : mix) shares.push_back(m.share / total);

  std::vector<int64_t> slots;
  for (int64_t length = static_cast<int64_t>(mix.size()); length <= max_cycle; ++length) {
    auto candidate = slots_for(shares, length);
    bool close = true;
    for (size_t i = 0; i < shares.size(); ++i)
      close = close && candidate[i] > 0 && std::abs(static_cast<double>(candidate[i]) / length - shares[i]) <= tolerance;
    if (close) {
      slots = candidate;
      break;
    }
  }
  if (slots.empty()) slots = slots_for(shares, max_cycle);  // closest we can do within the cap

  // Smooth weighted round robin: each slot, every task gains its weight; the leader is picked and
  // pays the total. Spreads a 2/1/6 cycle as V I V V U V V I V rather than in blocks.
  const int64_t length = std::accumulate(slots.begin(), slots.end(), int64_t{0});
  std::vector<int64_t> credit(slots.size(), 0);
  std::vector<Task> cycle;
  for (int64_t s = 0; s < length; ++s) {
    size_t best = 0;
    for (size_t i = 0; i < slots.size(); ++i) {
      credit[i] += slots[i];
      if (credit[i] > credit[best]) best = i;
    }
    credit[best] -= length;
    cycle.push_back(mix[best].task);
  }
  return cycle;
}

}  // namespace tetra::trainer
