// AdamW over the pieces of parameters that this rank updates: whole parameters in plain data
// parallelism, this rank's ZeRO-1 shards otherwise. The arithmetic is LibTorch's AdamW, op for op,
// so one process matches torch::optim::AdamW bitwise (tests/parallel/test_sharded_adamw.cpp).
//
// State (moments and step count) is kept per piece and saved keyed by parameter name and element
// offset, never by rank: a checkpoint loads under any other sharding (another data-parallel size,
// ZeRO-1 switched on or off) by cutting the saved pieces to the new ones.
#pragma once
#include <torch/serialize/archive.h>
#include <torch/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace tetra::parallel {

// A contiguous range of one parameter's (flattened) elements and its gradient.
struct ParamShard {
  int64_t param = 0;    // index in the parameter list
  int64_t offset = 0;   // first element of the flattened parameter
  torch::Tensor value;  // 1-D view into the parameter: elements [offset, offset + numel)
  torch::Tensor grad;   // 1-D reduced gradient of the same elements
};

struct AdamWGroup {
  double lr = 1e-3;
  double weight_decay = 0.0;
};

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

class ShardedAdamW {
 public:
  // names[i] and group_of[i] describe parameter i of the list the shards index into.
  ShardedAdamW(std::vector<std::string> names, std::vector<int64_t> group_of, std::vector<AdamWGroup> groups,
               AdamWOptions options);

  std::vector<AdamWGroup>& groups() { return groups_; }
  const std::vector<AdamWGroup>& groups() const { return groups_; }

  // skip(param): no rank produced a gradient for it this step; its value and state stay as they are
  // (LibTorch skips parameters whose .grad is undefined).
  void step(const std::vector<ParamShard>& shards, const std::function<bool(int64_t)>& skip);

  // Every piece of state this rank holds (CPU tensors, so CPU and GPU runs read each other's).
  void save(torch::serialize::OutputArchive& archive) const;
  // Rebuilds the state of `shards` from the pieces in `archives` (saved under any sharding). A
  // parameter without saved state starts fresh, as it would have in the saving run. Errors name the
  // parameter whose saved state does not fit.
  absl::Status load(std::vector<torch::serialize::InputArchive>& archives, const std::vector<ParamShard>& shards);

  // Whole-parameter state, for reshaping it between two optimizers (latent widening): for every
  // parameter, flattened moments holding what this rank has and zeros elsewhere (sum over a ZeRO-1
  // group to get the whole), and the step count (0: no state here).
  struct ParamState {
    torch::Tensor exp_avg, exp_avg_sq;
    int64_t step = 0;
  };
  std::vector<ParamState> local_full_state(const std::vector<torch::Tensor>& params) const;
  // The state of `shards` cut from whole-parameter state (a parameter with step 0 starts fresh).
  void set_full_state(const std::vector<ParamState>& full, const std::vector<ParamShard>& shards);

  // Full (unsharded) state of one parameter range, for tests: {exp_avg, exp_avg_sq}; undefined
  // tensors when this rank holds no state there.
  std::pair<torch::Tensor, torch::Tensor> moments(int64_t param, int64_t offset) const;
  int64_t step_count(int64_t param, int64_t offset) const;

 private:
  struct Piece {
    torch::Tensor exp_avg, exp_avg_sq;
    int64_t step = 0;
  };
  std::vector<std::string> names_;
  std::vector<int64_t> group_of_;
  std::vector<AdamWGroup> groups_;
  AdamWOptions options_;
  std::map<std::pair<int64_t, int64_t>, Piece> state_;  // (param, offset)
};

}  // namespace tetra::parallel
