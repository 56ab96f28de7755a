// Where each rank's data stream resumes when a checkpoint is loaded with another data-parallel size.
//
// The stream (data/stream.h) gives position p of each epoch's (seeded) order to rank p % world, and
// a rank's cursor (epoch, index) counts the positions it has consumed. The order of an epoch does
// not depend on the world size, so positions are a world-independent clock:
//
//   Rule: the new ranks continue the oldest epoch still in progress at P, the first position that
//   not every old rank had consumed; new rank r starts at the first of its positions >= P.
//
// Nothing of that epoch is skipped. Old ranks that were ahead of P (at most one position each, as
// ranks step in lockstep) see those samples again: at most old_world - 1 repeats per resize, and
// none when the old cursors were even (the usual case). At the same world size the cursors are
// restored unchanged.
#pragma once
#include <vector>

#include "data/stream.h"

namespace tetra::trainer {

// old_cursors[r]: the cursor saved by old rank r (old world = old_cursors.size()).
data::StreamCursor reshard_cursor(const std::vector<data::StreamCursor>& old_cursors, int64_t new_rank,
                                  int64_t new_world);

// The global position (in the epoch of `reshard_cursor`) from which the new world continues.
struct GlobalPosition {
  int64_t epoch = 0;
  int64_t position = 0;
};
GlobalPosition resume_position(const std::vector<data::StreamCursor>& old_cursors);

}  // namespace tetra::trainer
