// The frozen networks a loss configuration needs, built once: loaded from the files the config
// names, or randomly initialised where the config explicitly asks for it (smoke runs).
#pragma once
#include <torch/types.h>

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "losses/frozen.h"
#include "losses/image_encoder.h"
#include "losses/loss_options.h"
#include "losses/perceptual.h"
#include "losses/vgg.h"

namespace tetra::losses {

// A member is empty when no term with a non-zero weight needs it.
struct FrozenNetworks {
  Vgg16Features vgg{nullptr};
  LpipsHeads lpips_heads{nullptr};
  int64_t vgg_resolution = 224;
  std::optional<FrozenImageEncoder> clip;
  std::optional<FrozenImageEncoder> teacher;
};

// Validated options in; every network frozen and on `device`. `records` gets one entry per network.
// A needed file whose key is empty is an error naming the key, the terms that need it and the
// export script.
absl::StatusOr<FrozenNetworks> load_frozen_networks(const LossOptions& options, const torch::Device& device,
                                                    std::vector<FrozenNetworkRecord>* records);

}  // namespace tetra::losses
