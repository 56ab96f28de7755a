// Held-out evaluation, shared out over the data-parallel ranks.
#pragma once
#include <vector>

#include "model/tokenizer.h"
#include "parallel/communicator.h"

namespace tetra::trainer {

// Token-weighted mean L1 over every held-out batch, decoding the posterior mean (no noise, so it
// is comparable across steps). Rank r scores batches b with b % ranks == r and the sums are
// all-reduced: every rank returns the one-process number. Collective over `host_comm`.
double evaluate(model::Tokenizer& model, const std::vector<model::PackedTokens>& batches,
                const model::PatchSize& patch, parallel::Communicator& host_comm);

}  // namespace tetra::trainer
