#include "trainer/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <sstream>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "parallel/consistency.h"
#include "parallel/mesh.h"
#include "parallel/mpi_runtime.h"
#include "parallel/world.h"
#include "trainer/batches.h"
#include "trainer/checkpoint.h"
#include "trainer/evaluate.h"
#include "trainer/files.h"
#include "trainer/metrics.h"
#include "trainer/step.h"
#include "trainer/training_state.h"

namespace tetra::trainer {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

model::TokenizerOptions model_options(const ModelConfig& m) {
  model::TokenizerOptions o;
  model::apply_preset(m.preset, &o);
  if (m.width) o.width = m.width;
  if (m.depth) o.depth = m.depth;
  if (m.heads) o.heads = m.heads;
  if (m.mlp_hidden) o.mlp_hidden = m.mlp_hidden;
  o.latent_channels = m.latent_channels;
  o.position_grid = m.position_grid;
  o.rope_base = m.rope_base;
  o.patch = patch_from_config(m);
  return o;
}

parallel::DataParallelOptions dp_options(const ParallelConfig& p) {
  parallel::DataParallelOptions o;
  o.bucket_bytes = static_cast<int64_t>(p.bucket_mb * (1 << 20));
  o.first_bucket_bytes = static_cast<int64_t>(p.first_bucket_mb * (1 << 20));
  o.zero1 = p.zero1;
  o.overlap = p.overlap;
  return o;
}

// Fault injection for the kill-and-resume tests: TETRA_FAULT_KILL_AFTER_STEP=N makes the process
// SIGKILL itself right after step N, with no chance to clean up, exactly like an OOM kill. With
// TETRA_FAULT_KILL_RANK=R only rank R does (the launcher then takes the other ranks down).
bool fault_kill_now(int64_t step, int rank) {
  const char* at = std::getenv("TETRA_FAULT_KILL_AFTER_STEP");
  const char* who = std::getenv("TETRA_FAULT_KILL_RANK");
  return at && std::atoll(at) == step && (!who || std::atoi(who) == rank);
}

bool has_checkpoints(const std::string& run_dir) {
  return !CheckpointStore(run_dir + "/checkpoints", 1).list().empty();
}

// The run directory is out_dir/name. A fresh run never writes into a directory that already holds
// checkpoints: it takes the first free out_dir/name.N instead and says so, so rerunning a command
// can never overwrite earlier work. --resume always continues out_dir/name itself.
std::string choose_run_dir(const Config& config, const TrainOptions& options) {
  const std::string base = config.run.out_dir + "/" + config.run.name;
  if (options.resume || !has_checkpoints(base)) return base;
  for (int n = 1;; ++n) {
    const std::string candidate = absl::StrCat(base, ".", n);
    if (!has_checkpoints(candidate)) {
      std::cout << "note: " << base << " holds an earlier run (continue it with --resume); this run writes to "
                << candidate << std::endl;
      return candidate;
    }
  }
}

absl::Status prepare_run_dir(const Config& config, const std::string& run_dir) {
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create run directory '", run_dir, "': ", ec.message()));
  return write_file_atomic(run_dir + "/config.yaml", to_yaml(config));
}

// What every rank must agree on about the disk is decided by rank 0 and broadcast: the run
// directory (prepared by rank 0), the data (the embedded set is generated once, by rank 0, before
// the others look) and the checkpoint to resume.
absl::StatusOr<std::string> agree_on_run_dir(const Config& config, const TrainOptions& options,
                                             parallel::Communicator& comm) {
  std::string dir, error;
  if (comm.rank() == 0) {
    dir = choose_run_dir(config, options);
    error = std::string(prepare_run_dir(config, dir).message());
  }
  error = parallel::broadcast_string(comm, error, 0);
  if (!error.empty()) return parallel::mark_collective(absl::InternalError(error));
  return parallel::broadcast_string(comm, dir, 0);
}

absl::StatusOr<DataPaths> agree_on_data(const Config& config, parallel::Communicator& comm) {
  std::string error;
  if (comm.rank() == 0) error = std::string(prepare_data(config).status().message());
  error = parallel::broadcast_string(comm, error, 0);
  if (!error.empty()) return parallel::mark_collective(absl::FailedPreconditionError(error));
  return prepare_data(config);
}

std::string agree_on_checkpoint(const CheckpointStore& store, parallel::Communicator& comm) {
  std::string dir;
  if (comm.rank() == 0) {
    std::vector<std::string> rejected;
    auto found = store.latest_valid(&rejected);
    for (const auto& line : rejected) std::cerr << "warning: " << line << std::endl;
    if (found.ok()) dir = found->dir;
  }
  return parallel::broadcast_string(comm, dir, 0);
}

// Rank 0 writes the log; the others write only warnings and errors (stderr).
class RankLog {
 public:
  explicit RankLog(bool speaks) : quiet_(nullptr), speaks_(speaks) {}
  std::ostream& out() { return speaks_ ? std::cout : quiet_; }
  bool speaks() const { return speaks_; }

 private:
  std::ostream quiet_;
  bool speaks_;
};

// The image batches carry pixels only: no captions or text embeddings yet, so a semantic term
// (SigLIP, distillation) would silently never run. Refuse it at start instead.
absl::Status refuse_terms_without_inputs(const LossConfig& loss) {
  auto sem = losses::WeightSchedule::parse(loss.sem_weight);
  if (sem.ok() && sem->always_zero()) return absl::OkStatus();
  for (const auto& [key, text] : {std::pair<const char*, const std::string&>{"loss.image.siglip", loss.image.siglip},
                                  {"loss.image.distill", loss.image.distill}}) {
    auto weight = losses::WeightSchedule::parse(text);
    if (weight.ok() && !weight->always_zero())
      return absl::InvalidArgumentError(absl::StrCat(
          "key '", key, "' is '", text, "', but the image batches carry no text embeddings yet, so it could "
          "never be computed; set it to 0 (or loss.sem_weight to 0) until captioned data reaches the trainer"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TrainSummary> train(const Config& config, const TrainOptions& options) {
  auto world = parallel::World::Get();
  if (!world.ok()) return world.status();
  parallel::mpi::set_timeout_seconds(config.parallel.timeout_s);
  if (config.run.threads > 0) torch::set_num_threads(static_cast<int>(config.run.threads));
  if (auto s = parallel::check_identical(*(*world)->communicator(), "config", to_key_values(config),
                                         "Every rank must run the same config: check the --config file and the --set "
                                         "arguments given to each rank, and that every node reads the same file.");
      !s.ok())
    return s;
  auto mesh = parallel::ProcessMesh::Create(
      **world, parallel::MeshOptions{1, config.run.device == "cuda" ? torch::kCUDA : torch::kCPU});
  if (!mesh.ok()) return mesh.status();
  const parallel::Group& dp = mesh->data_parallel();
  auto& comm = *dp.host;
  const torch::Device device = mesh->device();
  RankLog log(comm.rank() == 0);
  auto plan = plan_batches(config.data, dp.size());
  if (!plan.ok()) return parallel::mark_collective(plan.status());

  TrainSummary summary;
  auto run_dir = agree_on_run_dir(config, options, comm);
  if (!run_dir.ok()) return run_dir.status();
  summary.run_dir = *run_dir;
  CheckpointStore store(summary.run_dir + "/checkpoints", config.run.keep_checkpoints);
  auto paths = agree_on_data(config, comm);
  if (!paths.ok()) return paths.status();

  torch::manual_seed(static_cast<uint64_t>(config.run.seed));
  const auto patch = patch_from_config(config.model);
  TrainingState state;
  state.model = model::Tokenizer(model_options(config.model));
  state.model->to(device);
  state.dp = std::make_unique<parallel::DataParallel>(*state.model, dp, dp_options(config.parallel));
  if (auto s = state.dp->check_same_model(); !s.ok()) return s;
  state.dp->broadcast_from_rank0();
  state.optimizer = make_optimizer(state.dp->names(), state.dp->params(), config.optim);
  state.ema = std::make_unique<WeightEma>(*state.model, config.optim.ema_decay);
  state.latent_rng = make_latent_rng(config, comm.rank(), 0);
  if (auto s = refuse_terms_without_inputs(config.loss); !s.ok()) return parallel::mark_collective(s);
  std::ostringstream frozen_log;
  auto composer = losses::LossComposer::create(config.loss, device, frozen_log);
  if (!composer.ok()) return parallel::mark_collective(composer.status());
  state.losses = std::move(*composer);
  if (log.speaks()) {
    if (auto s = write_file_atomic(summary.run_dir + "/frozen_networks.json",
                                   losses::records_json(state.losses->frozen_networks()));
        !s.ok())
      return s;
  }
  log.out() << "tetra-train: " << options.config_origin << " -> " << summary.run_dir << " | model "
            << config.model.preset << " " << model::count_parameters(*state.model) << " parameters | "
            << torch::get_num_threads() << " threads";
  if ((*world)->launcher() != "none")
    log.out() << " | " << dp.size() << " data-parallel ranks (" << (*world)->launcher() << ", " << dp.device->backend()
              << ")" << (config.parallel.zero1 ? ", ZeRO-1" : "");
  if (plan->micro_steps > 1) log.out() << " | " << plan->micro_steps << " micro-batches of " << plan->micro_batch;
  log.out() << std::endl << frozen_log.str();

  int64_t resumed_from = -1;
  if (options.resume) {
    const std::string dir = agree_on_checkpoint(store, comm);
    if (!dir.empty()) {
      if (auto s = load_checkpoint(dir, state, config, log.out()); !s.ok()) return s;
      resumed_from = state.step;
      log.out() << "resumed from " << dir << " at step " << state.step << std::endl;
    } else {
      log.out() << "no checkpoint in " << store.root() << ": starting from step 0" << std::endl;
    }
  }
  MetricsLog metrics;
  if (log.speaks())
    if (auto s = metrics.open(summary.run_dir + "/metrics.jsonl", options.resume ? std::max<int64_t>(resumed_from, 0) : -1);
        !s.ok())
      return s;

  auto batcher = ImageBatcher::Create(config, paths->train_shards, state.cursor, comm.rank(), comm.size(),
                                      plan->micro_batch);
  if (!batcher.ok()) return batcher.status();
  auto heldout = load_heldout(config, paths->heldout_shards);
  if (!heldout.ok()) return heldout.status();
  for (auto& b : *heldout) b = b.to(device);

  auto run_eval = [&]() {
    const double l1 = evaluate(state.model, *heldout, patch, comm);
    state.ema->swap_into_model();
    const double ema_l1 = evaluate(state.model, *heldout, patch, comm);
    state.ema->swap_into_model();
    if (log.speaks()) metrics.write({{"step", state.step}, {"eval/heldout_l1", l1}, {"eval/heldout_l1_ema", ema_l1}});
    log.out() << absl::StrFormat("eval step %d | held-out L1 %.5f (EMA weights %.5f)", state.step, l1, ema_l1)
              << std::endl;
    return l1;
  };
  summary.first_heldout_l1 = summary.last_heldout_l1 = run_eval();

  const int64_t total = config.run.steps;
  auto window_start = Clock::now();
  int64_t window_tokens = 0, window_steps = 0;
  while (state.step < total) {
    auto step = train_step(state, **batcher, config, *plan, device);
    if (!step.ok()) return step.status();
    window_tokens += step->global_tokens;
    ++window_steps;

    if (state.step % config.run.log_every == 0 || state.step == total) {
      const auto terms = global_loss_terms(*step, *dp.device);
      const int64_t skipped =
          parallel::all_reduce_int(comm, (*batcher)->stats().skipped_corrupt, parallel::ReduceOp::kSum);
      const double elapsed = std::chrono::duration<double>(Clock::now() - window_start).count();
      StepReport r;
      r.step = state.step;
      r.total = total;
      r.loss = terms[0];
      for (size_t i = 1; i < terms.size(); ++i) r.terms.emplace_back(step->term_names[i], terms[i]);
      r.lr = learning_rate_at(config.optim, state.step - 1, total);
      r.grad_norm = step->grad_norm.item<double>();
      r.tokens_per_s = window_tokens / std::max(elapsed, 1e-9);
      r.eta_s = elapsed / window_steps * (total - state.step);
      log.out() << format_step_line(r) << std::endl;
      if (log.speaks()) {
        nlohmann::json record = {{"step", r.step}, {"loss", r.loss}, {"lr", r.lr}, {"grad_norm", r.grad_norm},
                                 {"tokens_per_s", r.tokens_per_s}, {"skipped_samples", skipped}};
        for (const auto& [name, value] : r.terms) record["loss/" + name] = value;
        metrics.write(record);
      }
      window_start = Clock::now();
      window_tokens = window_steps = 0;
    }
    const bool eval_now = (config.run.eval_every > 0 && state.step % config.run.eval_every == 0) || state.step == total;
    const bool save_now =
        (config.run.checkpoint_every > 0 && state.step % config.run.checkpoint_every == 0) || state.step == total;
    if (eval_now) summary.last_heldout_l1 = run_eval();
    if (save_now) {
      auto saved = save_checkpoint(store, state, config);
      if (!saved.ok()) return saved.status();
      log.out() << "checkpoint: " << saved->dir << std::endl;
    }
    if (eval_now || save_now) {  // keep tokens/s and ETA about training steps only
      window_start = Clock::now();
      window_tokens = window_steps = 0;
    }
    if (fault_kill_now(state.step, comm.rank())) std::raise(SIGKILL);
  }
  summary.steps_done = state.step;
  return summary;
}

}  // namespace tetra::trainer
