#include "trainer/loop/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <sstream>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/files.h"
#include "parallel/consistency.h"
#include "parallel/mesh.h"
#include "parallel/mpi_runtime.h"
#include "parallel/world.h"
#include "data/embedded/embedded.h"
#include "data/shards/image_shard.h"
#include "losses/frozen.h"
#include "trainer/state/checkpoint_store.h"
#include "trainer/eval/evaluate.h"
#include "trainer/report/metrics.h"
#include "trainer/report/reporter.h"
#include "trainer/state/checkpoint_files.h"
#include "trainer/state/training_state.h"
#include "trainer/loop/step.h"
#include "trainer/loop/task_cycle.h"
#include "trainer/loop/tasks.h"
#include "trainer/state/training_state.h"

namespace tetra::trainer {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

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
  return common::write_file_atomic(run_dir + "/config.yaml", to_yaml(config));
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

// The embedded dataset is generated once, by rank 0, before any rank opens it.
absl::Status prepare_embedded_data(const Config& config) {
  if (config.data.source != "embedded") return absl::OkStatus();
  return data::ensure_embedded_dataset(embedded_root(config), data::EmbeddedDatasetOptions{});
}

// Every folder any stage will read, checked now: a missing video folder must stop the run before
// stage 1, not at stage 2 after hours of training.
absl::Status check_data_folders(const Config& config) {
  for (size_t i = 0; i < config.stages.size(); ++i) {
    for (const TaskShare& share : task_mix(config.stages[i])) {
      const common::Modality m = task_modality(share.task);
      for (const bool heldout : {false, true}) {
        const std::string dir = modality_dir(config, m, heldout);
        if (heldout && dir.empty()) continue;  // no held-out data: that modality is not evaluated
        if (auto shards = data::list_shards(dir); !shards.ok())
          return absl::Status(shards.status().code(),
                              absl::StrCat("stages.", i, ".tasks.", task_name(share.task), " reads data.",
                                           common::modality_name(m), heldout ? ".heldout" : ".train", ": ",
                                           shards.status().message()));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status agree_on_data(const Config& config, parallel::Communicator& comm) {
  std::string error;
  if (comm.rank() == 0) {
    absl::Status status = prepare_embedded_data(config);
    if (status.ok()) status = check_data_folders(config);
    error = std::string(status.message());
  }
  error = parallel::broadcast_string(comm, error, 0);
  if (!error.empty()) return parallel::mark_collective(absl::FailedPreconditionError(error));
  return absl::OkStatus();
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

}  // namespace

namespace {

// One run of the curriculum on this rank: the state, where output goes, and the stage at hand.
class CurriculumRun {
 public:
  CurriculumRun(TrainingState& state, const parallel::Group& dp, torch::Device device, Reporter& report,
                CheckpointStore& store, std::string run_dir)
      : run_dir_(std::move(run_dir)), config_(state.config()), dp_(dp), device_(device), report_(report),
        store_(store), state_(state), parameters_(model::count_parameters(*state.model)) {}

  absl::Status run_stage(size_t index, TrainSummary* summary) {
    const StageConfig& stage = config_.stages[index];
    std::ostringstream transition;
    if (auto s = state_.enter_stage(index, transition); !s.ok()) return s;
    if (!transition.str().empty()) report_.message(trim(transition.str()));
    if (auto s = compose_losses(index); !s.ok()) return s;
    auto cycle = make_task_cycle(task_mix(stage));
    if (!cycle.ok()) return parallel::mark_collective(cycle.status());
    auto feeds = TaskFeeds::Create(config_, index, state_.cursors, dp_.rank(), dp_.size());
    if (!feeds.ok()) return parallel::mark_collective(feeds.status());
    auto heldout = load_heldout(config_, index, stage_modalities(config_, index), device_);
    if (!heldout.ok()) return parallel::mark_collective(heldout.status());
    report_.message(absl::StrCat("stage ", index + 1, "/", config_.stages.size(), " '", stage.name, "': ", stage.steps,
                                 " steps, cycle of ", cycle->size(), " micro-batches (", cycle_text(*cycle), ")"));
    const std::string label = absl::StrCat("stage ", index + 1, "/", config_.stages.size(), " ", stage.name);
    if (state_.stage_step == 0) run_eval(*heldout, stage.name, summary);

    const int64_t total = config_.total_steps();
    auto window_start = Clock::now();
    int64_t window_tokens = 0, window_steps = 0;
    StepReport r;  // between log steps a terminal shows the last logged losses with a live step count
    while (state_.stage_step < stage.steps) {
      auto step = train_step(state_, **feeds, *cycle, config_);
      if (!step.ok()) return step.status();
      window_tokens += step->global_tokens;
      ++window_steps;
      const double elapsed = std::chrono::duration<double>(Clock::now() - window_start).count();
      const bool stage_end = state_.stage_step == stage.steps;
      const bool log_now = state_.step % config_.run.log_every == 0 || stage_end;
      r.step = state_.step;
      r.total = total;
      if (log_now) {  // the only host sync of a step: numbers leave the device here
        const std::vector<double> values = step->global_values(*dp_.device);
        r.loss = values[0];
        r.terms.clear();
        for (size_t i = 1; i < step->names.size(); ++i) r.terms.emplace_back(step->names[i], values[i]);
        r.grad_norm = step->grad_norm.item<double>();
      }
      r.lr = learning_rate_at(stage.optim, state_.stage_step - 1, stage.steps);
      r.tokens_per_s = window_tokens / std::max(elapsed, 1e-9);
      r.eta_s = elapsed / window_steps * static_cast<double>(total - state_.step);
      const int64_t skipped =
          log_now ? parallel::all_reduce_int(*dp_.host, (*feeds)->skipped_samples(), parallel::ReduceOp::kSum) : 0;
      nlohmann::json record = {{"stage", stage.name}, {"skipped_samples", skipped}, {"elapsed_s", seconds_since_start()}};
      // Model FLOPs utilisation: 6 N FLOPs per token (forward + backward of N parameters; attention's
      // share is left out, so this slightly understates it for long sequences).
      if (config_.run.peak_tflops > 0)
        record["mfu"] = 6.0 * static_cast<double>(parameters_) * r.tokens_per_s /
                        (static_cast<double>(dp_.size()) * config_.run.peak_tflops * 1e12);
      report_.step(r, label, std::move(record), log_now);
      if (log_now) {
        window_start = Clock::now();
        window_tokens = window_steps = 0;
      }
      const bool eval_now = (config_.run.eval_every > 0 && state_.step % config_.run.eval_every == 0) || stage_end;
      const bool save_now =
          (config_.run.checkpoint_every > 0 && state_.step % config_.run.checkpoint_every == 0) || stage_end;
      if (eval_now) run_eval(*heldout, stage.name, summary);
      if (save_now) {
        auto saved = state_.save(store_);
        if (!saved.ok()) return saved.status();
        report_.message("checkpoint: " + saved->dir);
      }
      if (eval_now || save_now) {  // keep tokens/s and ETA about training steps only
        window_start = Clock::now();
        window_tokens = window_steps = 0;
      }
      if (fault_kill_now(state_.step, dp_.rank())) std::raise(SIGKILL);
    }
    return absl::OkStatus();
  }

 private:
  double seconds_since_start() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }
  static std::string trim(std::string text) {
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }
  static std::string cycle_text(const std::vector<Task>& cycle) {
    std::map<std::string, int> counts;
    for (Task t : cycle) ++counts[task_name(t)];
    std::string out;
    for (const auto& [name, n] : counts) absl::StrAppend(&out, out.empty() ? "" : ", ", n, "x ", name);
    return out;
  }

  absl::Status compose_losses(size_t index) {
    std::ostringstream frozen_log;
    auto composer = losses::LossComposer::create(config_.stages[index].loss, device_, frozen_log, state_.trainable->siglip);
    if (!composer.ok())
      return parallel::mark_collective(absl::Status(composer.status().code(),
                                                    absl::StrCat("stages.", index, ".loss: ", composer.status().message())));
    state_.losses = std::move(*composer);
    if (!frozen_log.str().empty()) report_.message(trim(frozen_log.str()));
    frozen_[config_.stages[index].name] = nlohmann::json::parse(losses::records_json(state_.losses->frozen_networks()));
    if (!report_.speaks()) return absl::OkStatus();
    return common::write_file_atomic(run_dir_ + "/frozen_networks.json", frozen_.dump(2) + "\n");
  }

  void run_eval(const std::vector<HeldoutSet>& heldout, const std::string& stage, TrainSummary* summary) {
    const model::PatchSize patch = patch_size(config_.model);
    const auto siglip = state_.trainable->siglip;
    EvalResult live = evaluate(state_.model, heldout, patch, *dp_.host, "eval", config_.run.grid_samples, siglip);
    state_.ema->swap_into_model();
    EvalResult ema = evaluate(state_.model, heldout, patch, *dp_.host, "eval_ema", 0, siglip);
    state_.ema->swap_into_model();
    report_.evaluation(state_.step, stage, live, ema);
    summary->last_eval = live.metrics;
  }

  std::string run_dir_;
  const Config& config_;
  parallel::Group dp_;
  torch::Device device_;
  Reporter& report_;
  CheckpointStore& store_;
  TrainingState& state_;
  nlohmann::json frozen_ = nlohmann::json::object();
  Clock::time_point started_ = Clock::now();
  int64_t parameters_;
};

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

  TrainSummary summary;
  auto run_dir = agree_on_run_dir(config, options, comm);
  if (!run_dir.ok()) return run_dir.status();
  summary.run_dir = *run_dir;
  CheckpointStore store(summary.run_dir + "/checkpoints", config.run.keep_checkpoints);
  if (auto s = agree_on_data(config, comm); !s.ok()) return s;

  // A resumed run first learns the checkpoint's stage: the model takes that stage's shape before
  // the weights are read.
  const std::string resume_dir = options.resume ? agree_on_checkpoint(store, comm) : "";
  CheckpointPosition resume_at;
  if (!resume_dir.empty()) {
    auto position = read_position(resume_dir);
    if (!position.ok()) return parallel::mark_collective(position.status());
    resume_at = *position;
    resume_at.stage = std::min<int64_t>(resume_at.stage, static_cast<int64_t>(config.stages.size()) - 1);
  }
  // A resume keeps the metrics records up to the checkpoint's step: later ones will be made again.
  auto report = Reporter::Create(config, summary.run_dir, comm.rank() == 0, options.resume ? resume_at.step : -1);
  if (!report.ok()) return parallel::mark_collective(report.status());
  torch::manual_seed(static_cast<uint64_t>(config.run.seed));
  auto created = TrainingState::create(config, dp, mesh->device());
  if (!created.ok()) return created.status();
  TrainingState& state = **created;
  std::ostringstream shape_log;
  if (auto s = state.enter_stage(static_cast<size_t>(resume_at.stage), shape_log); !s.ok()) return s;

  std::ostringstream header;
  header << "tetra-train: " << options.config_origin << " -> " << summary.run_dir << " | model " << config.model.preset
         << " " << model::count_parameters(*state.model) << " parameters | " << config.stages.size() << " stages, "
         << config.total_steps() << " steps | " << torch::get_num_threads() << " threads";
  if ((*world)->launcher() != "none")
    header << " | " << dp.size() << " data-parallel ranks (" << (*world)->launcher() << ", " << dp.device->backend()
           << ")" << (config.parallel.zero1 ? ", ZeRO-1" : "");
  (*report)->message(header.str());
  if (!resume_dir.empty()) {
    std::ostringstream notes;
    if (auto s = state.resume(resume_dir, notes); !s.ok()) return s;
    (*report)->message(absl::StrCat(notes.str(), "resumed from ", resume_dir, " at step ", state.step, " (stage ",
                                    state.stage + 1, " '", config.stages[static_cast<size_t>(state.stage)].name,
                                    "', step ", state.stage_step, ")"));
  } else {
    if (options.resume) (*report)->message("no checkpoint in " + store.root() + ": starting afresh");
    auto started = state.start_fresh();
    if (!started.ok()) return started.status();
    if (!started->empty()) (*report)->message(*started);
  }

  CurriculumRun run(state, dp, mesh->device(), **report, store, summary.run_dir);
  for (size_t stage = static_cast<size_t>(state.stage); stage < config.stages.size(); ++stage) {
    if (auto s = run.run_stage(stage, &summary); !s.ok()) return s;
    if (stage + 1 < config.stages.size()) state.next_stage();
  }
  summary.steps_done = state.step;
  return summary;
}

}  // namespace tetra::trainer
