#include "trainer/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "losses/reconstruction.h"
#include "model/tokenizer.h"
#include "parallel/launch_env.h"
#include "trainer/batches.h"
#include "trainer/checkpoint.h"
#include "trainer/ema.h"
#include "trainer/files.h"
#include "trainer/metrics.h"
#include "trainer/optim.h"

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

struct LossTerms {
  torch::Tensor total, l1, kl;
};

LossTerms compute_loss(const LossConfig& weights, const model::TokenizerOutput& out,
                       const model::PackedTokens& tokens, const model::PatchSize& patch) {
  LossTerms t;
  t.l1 = losses::l1_reconstruction(out.reconstruction, tokens.features, tokens, patch);
  t.kl = losses::kl_mean(out.kl_per_token);
  t.total = weights.rec_weight * weights.l1_weight * t.l1 + weights.kl_weight * t.kl;
  return t;
}

// Everything that a resume must restore, in one place.
struct TrainingState {
  model::Tokenizer model{nullptr};
  Optimizer optimizer;
  std::unique_ptr<WeightEma> ema;
  at::Generator latent_rng;
  int64_t step = 0;
  data::StreamCursor cursor;
};

absl::Status save_checkpoint(CheckpointStore& store, TrainingState& s) {
  auto saved = store.save(s.step, [&](const std::string& dir) -> absl::Status {
    try {
      torch::save(s.model, dir + "/model.pt");
      torch::save(*s.optimizer.adamw, dir + "/optimizer.pt");
      torch::serialize::OutputArchive ema;
      s.ema->save(ema);
      ema.save_to(dir + "/ema.pt");
      torch::serialize::OutputArchive state;
      state.write("step", torch::tensor(s.step));
      state.write("cursor", torch::tensor({s.cursor.epoch, s.cursor.index}));
      state.write("latent_rng", s.latent_rng.get_state());
      state.save_to(dir + "/state.pt");
    } catch (const c10::Error& e) {
      return absl::InternalError(absl::StrCat("writing checkpoint files in ", dir, ": ", e.what_without_backtrace()));
    }
    nlohmann::json human = {{"step", s.step}, {"data_epoch", s.cursor.epoch}, {"data_index", s.cursor.index}};
    return write_file_atomic(dir + "/state.json", human.dump(2) + "\n");
  });
  if (!saved.ok()) return saved.status();
  std::cout << "checkpoint: " << saved->dir << std::endl;
  return absl::OkStatus();
}

absl::Status load_checkpoint(const std::string& dir, TrainingState& s) {
  try {
    torch::load(s.model, dir + "/model.pt");
    torch::load(*s.optimizer.adamw, dir + "/optimizer.pt");
    torch::serialize::InputArchive ema;
    ema.load_from(dir + "/ema.pt");
    s.ema->load(ema);
    torch::serialize::InputArchive state;
    state.load_from(dir + "/state.pt");
    torch::Tensor step, cursor, rng;
    state.read("step", step);
    state.read("cursor", cursor);
    state.read("latent_rng", rng);
    s.step = step.item<int64_t>();
    s.cursor = {cursor[0].item<int64_t>(), cursor[1].item<int64_t>()};
    s.latent_rng.set_state(rng);
  } catch (const c10::Error& e) {
    return absl::DataLossError(absl::StrCat("checkpoint ", dir, " does not fit this model/config: ",
                                            e.what_without_backtrace(),
                                            " (was it written with another model size? start a new run.name)"));
  }
  return absl::OkStatus();
}

// Held-out L1 with the posterior mean as latent: no noise, so it is comparable across steps.
double evaluate(model::Tokenizer& model, const std::vector<model::PackedTokens>& batches,
                const model::PatchSize& patch) {
  if (batches.empty()) return 0.0;
  torch::NoGradGuard no_grad;
  model->eval();
  double weighted = 0, tokens = 0;
  for (const auto& b : batches) {
    model::ForwardOptions run;
    run.sample_latent = false;
    auto out = model->forward(b, run);
    weighted += losses::l1_reconstruction(out.reconstruction, b.features, b, patch).item<double>() * b.num_tokens();
    tokens += b.num_tokens();
  }
  model->train();
  return weighted / tokens;
}

// Fault injection for the kill-and-resume tests: TETRA_FAULT_KILL_AFTER_STEP=N makes the process
// SIGKILL itself right after step N, with no chance to clean up, exactly like an OOM kill.
int64_t fault_kill_step() {
  const char* v = std::getenv("TETRA_FAULT_KILL_AFTER_STEP");
  return v ? std::atoll(v) : -1;
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

}  // namespace

absl::StatusOr<TrainSummary> train(const Config& config, const TrainOptions& options) {
  const auto launch = parallel::detect_launch_environment();
  if (launch.world_size > 1)
    return absl::UnimplementedError(absl::StrCat("launched as ", launch.world_size, " ranks by ", launch.launcher,
                                                 ", but this build trains in a single process; run without mpirun"));
  if (config.run.device == "cuda" && !torch::cuda::is_available())
    return absl::FailedPreconditionError("run.device is 'cuda' but no CUDA GPU is visible; use --set run.device=cpu");
  const torch::Device device(config.run.device == "cuda" ? torch::kCUDA : torch::kCPU);
  if (config.run.threads > 0) torch::set_num_threads(static_cast<int>(config.run.threads));

  TrainSummary summary;
  summary.run_dir = choose_run_dir(config, options);
  CheckpointStore store(summary.run_dir + "/checkpoints", config.run.keep_checkpoints);
  if (auto s = prepare_run_dir(config, summary.run_dir); !s.ok()) return s;
  auto paths = prepare_data(config);
  if (!paths.ok()) return paths.status();

  torch::manual_seed(static_cast<uint64_t>(config.run.seed));
  const auto patch = patch_from_config(config.model);
  TrainingState state;
  state.model = model::Tokenizer(model_options(config.model));
  state.model->to(device);
  state.optimizer = make_optimizer(*state.model, config.optim);
  state.ema = std::make_unique<WeightEma>(*state.model, config.optim.ema_decay);
  state.latent_rng = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(config.run.seed) + 1);
  std::cout << "tetra-train: " << options.config_origin << " -> " << summary.run_dir << " | model "
            << config.model.preset << " " << model::count_parameters(*state.model) << " parameters | "
            << torch::get_num_threads() << " threads" << std::endl;

  int64_t resumed_from = -1;
  if (options.resume) {
    std::vector<std::string> rejected;
    auto found = store.latest_valid(&rejected);
    for (const auto& line : rejected) std::cerr << "warning: " << line << std::endl;
    if (found.ok()) {
      if (auto s = load_checkpoint(found->dir, state); !s.ok()) return s;
      resumed_from = state.step;
      std::cout << "resumed from " << found->dir << " at step " << state.step << std::endl;
    } else {
      std::cout << "no checkpoint in " << store.root() << ": starting from step 0" << std::endl;
    }
  }
  MetricsLog metrics;
  if (auto s = metrics.open(summary.run_dir + "/metrics.jsonl", options.resume ? std::max<int64_t>(resumed_from, 0) : -1); !s.ok())
    return s;

  auto batcher = ImageBatcher::Create(config, paths->train_shards, state.cursor);
  if (!batcher.ok()) return batcher.status();
  auto heldout = load_heldout(config, paths->heldout_shards);
  if (!heldout.ok()) return heldout.status();
  for (auto& b : *heldout) b = b.to(device);

  auto run_eval = [&]() {
    const double l1 = evaluate(state.model, *heldout, patch);
    state.ema->swap_into_model();
    const double ema_l1 = evaluate(state.model, *heldout, patch);
    state.ema->swap_into_model();
    metrics.write({{"step", state.step}, {"eval/heldout_l1", l1}, {"eval/heldout_l1_ema", ema_l1}});
    std::cout << absl::StrFormat("eval step %d | held-out L1 %.5f (EMA weights %.5f)", state.step, l1, ema_l1)
              << std::endl;
    return l1;
  };
  summary.first_heldout_l1 = summary.last_heldout_l1 = run_eval();

  const int64_t total = config.run.steps;
  const int64_t kill_step = fault_kill_step();
  auto window_start = Clock::now();
  int64_t window_tokens = 0, window_steps = 0;
  while (state.step < total) {
    state.optimizer.set_step(config.optim, state.step, total);
    auto batch = (*batcher)->next();
    if (!batch.ok()) return batch.status();
    auto tokens = batch->tokens.to(device);
    model::ForwardOptions run;
    run.generator = state.latent_rng;
    auto out = state.model->forward(tokens, run);
    auto loss = compute_loss(config.loss, out, tokens, patch);
    state.optimizer.adamw->zero_grad();
    loss.total.backward();
    double grad_norm = config.optim.grad_clip > 0
                           ? torch::nn::utils::clip_grad_norm_(state.model->parameters(), config.optim.grad_clip)
                           : torch::nn::utils::clip_grad_norm_(state.model->parameters(), 1e30);
    state.optimizer.adamw->step();
    state.ema->update();
    state.cursor = batch->next;
    ++state.step;
    window_tokens += tokens.num_tokens();
    ++window_steps;

    if (state.step % config.run.log_every == 0 || state.step == total) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - window_start).count();
      StepReport r{state.step, total, loss.total.item<double>(), loss.l1.item<double>(), loss.kl.item<double>(),
                   learning_rate_at(config.optim, state.step - 1, total), grad_norm,
                   window_tokens / std::max(elapsed, 1e-9), elapsed / window_steps * (total - state.step)};
      std::cout << format_step_line(r) << std::endl;
      metrics.write({{"step", r.step}, {"loss", r.loss}, {"l1", r.l1}, {"kl", r.kl}, {"lr", r.lr},
                     {"grad_norm", r.grad_norm}, {"tokens_per_s", r.tokens_per_s},
                     {"skipped_samples", (*batcher)->stats().skipped_corrupt}});
      window_start = Clock::now();
      window_tokens = window_steps = 0;
    }
    const bool eval_now = (config.run.eval_every > 0 && state.step % config.run.eval_every == 0) || state.step == total;
    const bool save_now =
        (config.run.checkpoint_every > 0 && state.step % config.run.checkpoint_every == 0) || state.step == total;
    if (eval_now) summary.last_heldout_l1 = run_eval();
    if (save_now)
      if (auto s = save_checkpoint(store, state); !s.ok()) return s;
    if (eval_now || save_now) {  // keep tokens/s and ETA about training steps only
      window_start = Clock::now();
      window_tokens = window_steps = 0;
    }
    if (state.step == kill_step) std::raise(SIGKILL);
  }
  summary.steps_done = state.step;
  return summary;
}

}  // namespace tetra::trainer
