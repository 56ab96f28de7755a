// TrainingState: creation and the stage transitions. Persistence is in training_state_io.cpp.
#include "trainer/state/training_state.h"

#include <torch/torch.h>

#include <sstream>

#include "absl/strings/str_cat.h"
#include "model/widen.h"

namespace tetra::trainer {

model::PatchSize patch_size(const ModelConfig& m) { return m.patch; }

Trainable make_trainable(const Config& config) {
  return Trainable(model::Tokenizer(config.model),
                   losses::SigLipLoss(losses::SigLipLossOptions{config.loss.siglip_logit_scale,
                                                                config.loss.siglip_logit_bias}));
}

StageShape stage_shape(const Config& config, size_t stage) {
  StageShape shape{config.model.latent_channels, config.stages[stage].discrete};
  for (size_t i = 0; i <= stage; ++i) shape.latent_channels = std::max(shape.latent_channels, config.stages[i].latent_channels);
  return shape;
}

void shape_for_stage(model::Tokenizer& model, const StageShape& shape) {
  model::widen_latent_channels(model, shape.latent_channels);
  model->options.discrete = shape.discrete;
}

at::Generator make_latent_rng(const Config& config, int64_t rank, int64_t step) {
  const uint64_t seed = static_cast<uint64_t>(config.run.seed) + 1 + static_cast<uint64_t>(rank) * 0x9E3779B97F4A7C15ULL +
                        static_cast<uint64_t>(step) * 0xBF58476D1CE4E5B9ULL;
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

namespace {

parallel::DataParallelOptions dp_options(const ParallelConfig& p) {
  parallel::DataParallelOptions o;
  o.bucket_bytes = static_cast<int64_t>(p.bucket_mb * (1 << 20));
  o.first_bucket_bytes = static_cast<int64_t>(p.first_bucket_mb * (1 << 20));
  o.zero1 = p.zero1;
  o.overlap = p.overlap;
  return o;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TrainingState>> TrainingState::create(const Config& config,
                                                                     const parallel::Group& group,
                                                                     torch::Device device) {
  std::unique_ptr<TrainingState> s(new TrainingState(config));
  s->trainable = make_trainable(config);
  s->model = s->trainable->model;
  s->trainable->to(device);
  s->dp = std::make_unique<parallel::DataParallel>(*s->trainable, group, dp_options(config.parallel));
  if (auto status = s->dp->check_same_model(); !status.ok()) return status;
  s->dp->broadcast_from_rank0();
  s->optimizer = make_optimizer(s->dp->names(), s->dp->params(), config.optim);
  s->ema = std::make_unique<WeightEma>(*s->trainable, config.optim.ema_decay);
  s->latent_rng = make_latent_rng(config, group.rank(), 0);
  return s;
}

torch::Device TrainingState::device() const {
  return dp->params().empty() ? torch::Device(torch::kCPU) : dp->params()[0].device();
}

absl::Status TrainingState::rebuild_optimizer() {
  const parallel::Group group = dp->group();
  // The old wrapper first: it holds the parameters' gradient accumulators, which remember the old
  // shapes; only once they are gone does autograd make new ones for the widened parameters.
  dp.reset();
  for (auto& p : trainable->parameters()) p.mutable_grad() = torch::Tensor();
  dp = std::make_unique<parallel::DataParallel>(*trainable, group, dp_options(config_.parallel));
  optimizer = make_optimizer(dp->names(), dp->params(), config_.optim);
  return absl::OkStatus();
}

namespace {

// Whole-parameter optimizer state on every rank: under ZeRO-1 each rank holds a slice, so the
// slices are summed over the group (the others contribute zeros).
std::vector<parallel::ShardedAdamW::ParamState> gather_optimizer_state(parallel::DataParallel& dp,
                                                                       parallel::ShardedAdamW& adamw) {
  auto full = adamw.local_full_state(dp.params());
  if (!dp.zero1()) return full;
  auto& group = dp.group();
  for (auto& p : full) {
    group.device->all_reduce(p.exp_avg, parallel::ReduceOp::kSum)->wait();
    group.device->all_reduce(p.exp_avg_sq, parallel::ReduceOp::kSum)->wait();
    p.step = parallel::all_reduce_int(*group.host, p.step, parallel::ReduceOp::kMax);
  }
  return full;
}

}  // namespace

absl::Status TrainingState::widen_latent(int64_t channels) {
  auto state = gather_optimizer_state(*dp, *optimizer.adamw);
  const std::vector<torch::Tensor> params = dp->params();  // same tensors after widening (set_data)
  std::vector<std::vector<int64_t>> old_sizes;
  for (const auto& p : params) old_sizes.push_back(p.sizes().vec());
  for (const auto& widened : model::widen_latent_channels(model, channels)) {
    ema->widen(widened.parameter, widened.widen_like);
    for (size_t i = 0; i < params.size(); ++i) {
      if (!params[i].is_same(widened.parameter)) continue;
      auto& st = state[i];
      st.exp_avg = widened.widen_like(st.exp_avg.view(old_sizes[i])).flatten();
      st.exp_avg_sq = widened.widen_like(st.exp_avg_sq.view(old_sizes[i])).flatten();
    }
  }
  // The buckets and shards were cut for the old sizes: a new wrapper and optimizer, then the state.
  if (auto status = rebuild_optimizer(); !status.ok()) return status;
  optimizer.adamw->set_full_state(state, dp->owned_shards());
  return absl::OkStatus();
}

absl::Status TrainingState::widen_to(int64_t channels, std::ostream& log) {
  const int64_t before = model->options.latent_channels;
  if (channels <= before) return absl::OkStatus();
  if (auto status = widen_latent(channels); !status.ok()) return status;
  log << "latent widened from " << before << " to " << channels
      << " channels (new rows and columns zero: outputs unchanged)" << std::endl;
  return absl::OkStatus();
}

absl::Status TrainingState::enter_stage(size_t index, std::ostream& log) {
  const StageShape shape = stage_shape(config_, index);
  const std::string& name = config_.stages[index].name;
  std::ostringstream widened;
  if (auto status = widen_to(shape.latent_channels, widened); !status.ok()) return status;
  if (!widened.str().empty()) log << "stage " << name << ": " << widened.str();
  if (shape.discrete != model->options.discrete) {
    model->options.discrete = shape.discrete;
    const auto& fsq = model->options.fsq;
    log << "stage " << name << ": "
        << (shape.discrete ? absl::StrCat("discrete latent (FSQ: ", fsq.groups, " groups x ", fsq.dims_per_group,
                                          " dims, ", fsq.levels, " levels, codebook ", fsq.codebook_size(), " per group)")
                           : std::string("continuous latent (KL bottleneck)"))
        << std::endl;
  }
  return absl::OkStatus();
}

void TrainingState::next_stage() {
  ++stage;
  stage_step = 0;
  cursors.clear();
}

}  // namespace tetra::trainer
