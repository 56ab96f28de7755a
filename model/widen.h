// Latent widening at the start of stage 2 (SPEC: c = 32 -> 48 by adding zero-initialised rows and
// columns). The new mean and log-variance rows of the bottleneck are zero, so the new channels carry
// mean 0 and variance 1 with zero KL, and the decoder's new input columns are zero, so the
// reconstruction is unchanged at the moment of widening.
#pragma once
#include <functional>
#include <vector>

#include "model/tokenizer.h"

namespace tetra::model {

// A parameter that was widened in place (same tensor identity, new data) and how to widen any
// tensor laid out like its old value (the optimizer's moment estimates) the same way.
struct WidenedParameter {
  torch::Tensor parameter;
  std::function<torch::Tensor(const torch::Tensor&)> widen_like;
};

// Widens the KL bottleneck and the decoder input to `new_channels` (>= current).
std::vector<WidenedParameter> widen_latent_channels(Tokenizer& model, int64_t new_channels);

}  // namespace tetra::model
