// Moving tokens to their experts and back, for expert parallelism (a mixture-of-experts layer
// whose experts are spread over the ranks of an expert-parallel group), in the style of
// Megatron-Core's all-to-all token dispatcher. An interface only: the expert-parallel issue
// implements it; this header fixes the contract so that the model, the mesh and the gradient sync
// can be written against it.
//
// One MoE layer's forward, on every rank of the expert-parallel group:
//
//   auto permuted = dispatcher.permute(hidden, routing);        // local: rows sorted by expert
//   auto received = dispatcher.exchange(permuted);              // collective: to the experts' ranks
//   auto y = experts(received.tokens, received.per_local_expert);  // grouped GEMM, one split per expert
//   auto back = dispatcher.exchange_back(y, received);          // collective: the reverse trip
//   auto out = dispatcher.unpermute(back, permuted);            // local: [T, H], weighted by probs
//
// Placement: E experts, P ranks in the expert-parallel group, E % P == 0; rank p holds experts
// [p * E / P, (p + 1) * E / P) (its local experts). The groups come from parallel::ProcessMesh
// (mesh.h): the expert-parallel group for the exchange, never the world; an implementation takes
// them at construction, e.g. AllToAllTokenDispatcher(const Group& expert_parallel,
// const DispatcherOptions&). The experts' gradients are reduced over the expert's data-parallel
// group by the gradient sync (grad_sync.h), not here.
//
// Contracts:
// - Shapes and dtypes: hidden [T, H] (any floating dtype, kept throughout); routing.experts [T, k]
//   int64 in [0, E), distinct within a row; routing.probs [T, k] floating. T may be 0.
// - Order: permute() sorts the T * k (token, choice) rows by expert, stably (ties keep token
//   order); exchange() sends each expert's rows to the rank that holds it and returns them grouped
//   by local expert, then by source rank; exchange_back() undoes exactly that; unpermute() puts each
//   row back at its token and sums a token's k rows weighted by its probs (accumulated in float32,
//   returned in hidden's dtype).
// - Collectives: exchange() does one all-to-all of the row counts (host: the splits must be known
//   there, one host sync per layer) and one variable-split all-to-all of the rows
//   (Communicator::all_to_all on the group's device communicator); exchange_back() one of the rows.
//   Every rank of the group calls them for every MoE layer in the same order, also with no rows.
// - Differentiability: permute() in hidden (its backward sums a token's k copies); exchange() and
//   exchange_back() in the rows (each one's backward is the other's all-to-all, so backward issues
//   collectives too, in reverse layer order on every rank); unpermute() in the expert outputs and in
//   routing.probs (the router learns through it). Counts and indices carry no gradient.
// - Empty experts: an expert with no row anywhere gets an empty [0, H] split, is still called, and
//   its parameters get no gradient this step (GradSync::used is false, as for an unused head).
//   No capacity factor and no dropped tokens: every (token, choice) row reaches its expert.
#pragma once
#include <torch/types.h>

#include <vector>

#include "parallel/mesh.h"

namespace tetra::parallel {

struct DispatcherOptions {
  int64_t num_experts = 0;  // E, over the whole expert-parallel group
  int64_t top_k = 1;        // k, experts per token
};

// The router's choice for T tokens.
struct Routing {
  torch::Tensor experts;  // [T, k] int64 expert indices
  torch::Tensor probs;    // [T, k] their weights (differentiable)
};

// This rank's (token, choice) rows sorted by expert: what permute() returns and unpermute() undoes.
struct PermutedTokens {
  torch::Tensor tokens;             // [T * k, H], sorted by expert
  torch::Tensor source;             // [T * k] int64: the token (row of hidden) each row copies
  torch::Tensor probs;              // [T * k]: the weight of each row, in the same order
  std::vector<int64_t> per_expert;  // [E]: rows per expert (0 for an expert no token chose)
};

// The rows this rank's local experts process: what exchange() returns and exchange_back() undoes.
struct ReceivedTokens {
  torch::Tensor tokens;                   // [R, H], grouped by local expert, then by source rank
  std::vector<int64_t> per_local_expert;  // [E / P]: the experts' splits of tokens
  std::vector<int64_t> sent_rows;         // [P]: rows this rank sent to each rank
  std::vector<int64_t> received_rows;     // [P]: rows it received from each rank
  std::vector<int64_t> received_counts;   // [P * E / P]: rows per (source rank, local expert)
};

class TokenDispatcher {
 public:
  virtual ~TokenDispatcher() = default;

  // Local. hidden [T, H], routing for the same T tokens.
  virtual PermutedTokens permute(const torch::Tensor& hidden, const Routing& routing) = 0;
  // Collective over the expert-parallel group: every expert's rows to its rank.
  virtual ReceivedTokens exchange(const PermutedTokens& permuted) = 0;
  // Collective over the expert-parallel group: the experts' outputs [R, H'] (rows as
  // received.tokens) back to the ranks they came from, in permuted's order: [T * k, H'].
  virtual torch::Tensor exchange_back(const torch::Tensor& expert_output, const ReceivedTokens& received) = 0;
  // Local. [T * k, H'] rows in permuted's order -> [T, H'], each token's rows weighted by its probs.
  virtual torch::Tensor unpermute(const torch::Tensor& rows, const PermutedTokens& permuted) = 0;

  virtual const Group& expert_parallel() const = 0;
  virtual const DispatcherOptions& options() const = 0;
};

}  // namespace tetra::parallel
