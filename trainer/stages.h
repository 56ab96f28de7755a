// Stage transitions of the curriculum (SPEC 4). Entering a stage brings the model to the stage's
// shape: the latent widens (32 -> 48 channels at stage 2, zero rows and columns, so the outputs do
// not change), or the bottleneck turns discrete (FSQ, stage 4). The optimizer state and the EMA
// follow the widened parameters: the old entries keep their moments and averages, the new ones
// start at zero, as if they had always been there with zero gradient.
#pragma once
#include <cstdint>
#include <ostream>

#include "absl/status/status.h"
#include "trainer/config.h"
#include "trainer/training_state.h"

namespace tetra::trainer {

struct StageShape {
  int64_t latent_channels = 0;
  bool discrete = false;
};
// The latent shape the model has during stage `stage`: the widest latent_channels of the stages
// up to it (model.latent_channels before any), and that stage's `discrete`.
StageShape stage_shape(const Config& config, size_t stage);

// Widens the latent to `channels` (nothing when it is already that wide), carrying the optimizer
// state and EMA along. Collective.
absl::Status widen_to(TrainingState& s, const Config& config, int64_t channels, std::ostream& log);

// Collective over the data-parallel group (under ZeRO-1 the optimizer state is gathered once to be
// widened). Does nothing when the model already has the stage's shape, so calling it again after
// a resume is harmless.
absl::Status enter_stage(TrainingState& s, const Config& config, size_t stage, std::ostream& log);

}  // namespace tetra::trainer
