#include "trainer/data_cursor.h"

#include <algorithm>
#include <limits>

namespace tetra::trainer {

GlobalPosition resume_position(const std::vector<data::StreamCursor>& old_cursors) {
  const int64_t world = static_cast<int64_t>(old_cursors.size());
  int64_t epoch = std::numeric_limits<int64_t>::max();
  for (const auto& c : old_cursors) epoch = std::min(epoch, c.epoch);
  // Old rank r's next unconsumed position in `epoch` is r + index * world; ranks already in a later
  // epoch consumed all of theirs and do not bound P.
  int64_t position = std::numeric_limits<int64_t>::max();
  for (int64_t r = 0; r < world; ++r)
    if (old_cursors[static_cast<size_t>(r)].epoch == epoch)
      position = std::min(position, r + old_cursors[static_cast<size_t>(r)].index * world);
  return {epoch, position};
}

data::StreamCursor reshard_cursor(const std::vector<data::StreamCursor>& old_cursors, int64_t new_rank,
                                  int64_t new_world) {
  if (static_cast<int64_t>(old_cursors.size()) == new_world) return old_cursors[static_cast<size_t>(new_rank)];
  const GlobalPosition at = resume_position(old_cursors);
  // New rank r owns positions r, r + W, ...; those below P are the ones it skips.
  const int64_t skipped = at.position > new_rank ? (at.position - new_rank + new_world - 1) / new_world : 0;
  return {at.epoch, skipped};
}

}  // namespace tetra::trainer
