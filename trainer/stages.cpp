#include "trainer/stages.h"

#include <torch/torch.h>

#include <sstream>

#include "absl/strings/str_cat.h"
#include "model/widen.h"

namespace tetra::trainer {

StageShape stage_shape(const Config& config, size_t stage) {
  StageShape shape{config.model.latent_channels, config.stages[stage].discrete};
  for (size_t i = 0; i <= stage; ++i) shape.latent_channels = std::max(shape.latent_channels, config.stages[i].latent_channels);
  return shape;
}

namespace {

// Whole-parameter optimizer state on every rank: under ZeRO-1 each rank holds a slice, so the
// slices are summed over the group (the others contribute zeros).
std::vector<parallel::ShardedAdamW::ParamState> gather_optimizer_state(TrainingState& s) {
  auto full = s.optimizer.adamw->local_full_state(s.dp->params());
  if (!s.dp->zero1()) return full;
  auto& group = s.dp->group();
  for (auto& p : full) {
    group.device->all_reduce(p.exp_avg, parallel::ReduceOp::kSum)->wait();
    group.device->all_reduce(p.exp_avg_sq, parallel::ReduceOp::kSum)->wait();
    p.step = parallel::all_reduce_int(*group.host, p.step, parallel::ReduceOp::kMax);
  }
  return full;
}

absl::Status widen_latent(TrainingState& s, const Config& config, int64_t channels) {
  auto state = gather_optimizer_state(s);
  const std::vector<torch::Tensor> params = s.dp->params();  // same tensors after widening (set_data)
  std::vector<std::vector<int64_t>> old_sizes;
  for (const auto& p : params) old_sizes.push_back(p.sizes().vec());
  for (const auto& widened : model::widen_latent_channels(s.model, channels)) {
    s.ema->widen(widened.parameter, widened.widen_like);
    for (size_t i = 0; i < params.size(); ++i) {
      if (!params[i].is_same(widened.parameter)) continue;
      auto& st = state[i];
      st.exp_avg = widened.widen_like(st.exp_avg.view(old_sizes[i])).flatten();
      st.exp_avg_sq = widened.widen_like(st.exp_avg_sq.view(old_sizes[i])).flatten();
    }
  }
  // The buckets and shards were cut for the old sizes: a new wrapper and optimizer, then the state.
  if (auto status = rebuild_optimizer(s, config); !status.ok()) return status;
  s.optimizer.adamw->set_full_state(state, s.dp->owned_shards());
  return absl::OkStatus();
}

}  // namespace

absl::Status widen_to(TrainingState& s, const Config& config, int64_t channels, std::ostream& log) {
  const int64_t before = s.model->options.latent_channels;
  if (channels <= before) return absl::OkStatus();
  if (auto status = widen_latent(s, config, channels); !status.ok()) return status;
  log << "latent widened from " << before << " to " << channels
      << " channels (new rows and columns zero: outputs unchanged)" << std::endl;
  return absl::OkStatus();
}

absl::Status enter_stage(TrainingState& s, const Config& config, size_t stage, std::ostream& log) {
  const StageShape shape = stage_shape(config, stage);
  std::ostringstream widened;
  if (auto status = widen_to(s, config, shape.latent_channels, widened); !status.ok()) return status;
  if (!widened.str().empty()) log << "stage " << config.stages[stage].name << ": " << widened.str();
  if (shape.discrete != s.model->options.discrete) {
    s.model->options.discrete = shape.discrete;
    const auto& fsq = s.model->options.fsq;
    log << "stage " << config.stages[stage].name << ": "
        << (shape.discrete ? absl::StrCat("discrete latent (FSQ: ", fsq.groups, " groups x ", fsq.dims_per_group,
                                          " dims, ", fsq.levels, " levels, codebook ", fsq.codebook_size(), " per group)")
                           : std::string("continuous latent (KL bottleneck)"))
        << std::endl;
  }
  return absl::OkStatus();
}

}  // namespace tetra::trainer
