// TrainingState's persistence: save, resume, and a fresh start from another run's weights. The
// files' formats are checkpoint_files.h's; the folder's (manifest, commit) CheckpointStore's.
#include <torch/torch.h>

#include <filesystem>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "parallel/consistency.h"
#include "trainer/state/checkpoint_files.h"
#include "trainer/state/training_state.h"
#include "trainer/loop/tasks.h"

namespace tetra::trainer {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// SHA-256 of the exact bytes of every parameter, in order.
std::string weights_sha256(torch::nn::Module& model) {
  std::string bytes;
  for (const auto& p : model.parameters()) {
    auto c = p.detach().contiguous().cpu();
    bytes.append(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel() * c.element_size()));
  }
  return common::sha256_hex(bytes);
}

// This rank's files of a checkpoint; rank 0 (`shared_dir` not empty) also the files every rank reads.
absl::Status write_files(TrainingState& s, const RankState& position, const json& summary,
                         const std::string& shared_dir, const std::string& rank_dir) {
  if (!shared_dir.empty()) {
    if (auto status = save_weights(shared_dir, s.trainable, *s.ema); !status.ok()) return status;
  }
  // Without ZeRO-1 every rank holds the same whole optimizer state: rank 0 writes it for all.
  if (!shared_dir.empty() || s.dp->zero1()) {
    try {
      torch::serialize::OutputArchive optimizer;
      s.optimizer.adamw->save(optimizer);
      optimizer.save_to(absl::StrCat(rank_dir, "/", kOptimizerFile));
    } catch (const c10::Error& e) {
      return absl::InternalError(absl::StrCat("writing ", rank_dir, "/", kOptimizerFile, ": ", e.what_without_backtrace()));
    }
  }
  if (auto status = write_rank_state(absl::StrCat(rank_dir, "/", kRankStateFile), position); !status.ok()) return status;
  if (shared_dir.empty()) return absl::OkStatus();
  return common::write_file_atomic(absl::StrCat(shared_dir, "/", kPositionFile), summary.dump(2) + "\n");
}

}  // namespace

absl::StatusOr<CheckpointInfo> TrainingState::save(CheckpointStore& store) {
  auto& comm = *dp->group().host;
  const auto digests = parallel::all_gather_strings(comm, weights_sha256(*trainable));
  for (size_t r = 1; r < digests.size(); ++r)
    if (digests[r] != digests[0])
      return parallel::mark_collective(absl::InternalError(absl::StrCat(
          "replicas diverged at step ", step, ": rank ", r, "'s weights differ from rank 0's. Data-parallel replicas "
          "must stay bitwise equal; the run stops rather than train on inconsistent weights")));
  const auto all_cursors = parallel::all_gather_strings(comm, cursors_json(cursors));
  json summary = {{"step", step},
                  {"stage", stage},
                  {"stage_name", config_.stages[static_cast<size_t>(stage)].name},
                  {"stage_step", stage_step},
                  {"latent_channels", model->options.latent_channels},
                  {"discrete", model->options.discrete},
                  {"world_size", comm.size()},
                  {"zero1", dp->zero1()},
                  {"replica_sha256", digests}};
  for (const auto& c : all_cursors) summary["data_cursors"].push_back(json::parse(c));
  json extra = {{"world_size", comm.size()}, {"zero1", dp->zero1()}, {"replica_sha256", digests}};
  const RankState position{step, stage, stage_step, cursors, latent_rng.get_state()};
  auto saved = store.save(
      step, comm,
      [&](const std::string& shared_dir, const std::string& rank_dir) {
        return write_files(*this, position, summary, shared_dir, rank_dir);
      },
      extra);
  if (!saved.ok()) return parallel::mark_collective(saved.status());
  return saved;
}

absl::StatusOr<std::string> TrainingState::start_fresh() {
  const auto first = static_cast<size_t>(config_.run.start_stage);
  for (size_t i = 0; i < first; ++i) step += config_.stages[i].steps;
  stage = config_.run.start_stage;
  const std::string starts = absl::StrCat("starting at stage ", first + 1, " '", config_.stages[first].name, "' (step ",
                                          step, ")");
  const std::string& dir = config_.run.init_from;
  if (dir.empty()) return first > 0 ? starts + " from freshly initialised weights" : std::string();
  auto from = read_position(dir);
  if (!from.ok()) return parallel::mark_collective(from.status());
  if (from->latent_channels < model->options.latent_channels)
    return parallel::mark_collective(absl::FailedPreconditionError(absl::StrCat(
        "run.init_from: ", dir, " has ", from->latent_channels, " latent channels, this model starts with ",
        model->options.latent_channels, ": set model.latent_channels to ", from->latent_channels,
        " (a stage's latent_channels widens it later)")));
  std::ostringstream widened;
  if (auto status = widen_to(from->latent_channels, widened); !status.ok()) return status;
  absl::Status loaded = CheckpointStore::verify(dir);
  if (loaded.ok())
    loaded = load_weights(dir, trainable, ema.get(), device(), "run.init_from",
                          "check the model: section matches its run's");
  if (!loaded.ok()) return parallel::mark_collective(loaded);
  return absl::StrCat("initialised from ", dir, " (stage '", from->stage_name, "', step ", from->step,
                      "): weights and EMA; optimizer state starts anew; ", starts);
}

namespace {

// The cursor of every task of the stage for this rank: its own with the same world size, else
// re-striped from every saved rank's by the loader's rule.
absl::StatusOr<std::map<std::string, data::LoaderCursor>> resume_cursors(const std::vector<RankState>& ranks,
                                                                         const Config& config, int64_t stage,
                                                                         int rank, int world) {
  if (static_cast<int64_t>(ranks.size()) == world) return ranks[static_cast<size_t>(rank)].cursors;
  std::map<std::string, data::LoaderCursor> out;
  for (const TaskShare& share : task_mix(config.stages[static_cast<size_t>(stage)])) {
    const std::string name = task_name(share.task);
    std::vector<data::LoaderCursor> saved;
    for (const auto& r : ranks)
      if (r.cursors.count(name)) saved.push_back(r.cursors.at(name));
    if (saved.empty()) continue;
    auto cursor = data::Loader::resume_cursor(
        task_loader_options(config, static_cast<size_t>(stage), share.task, rank, world), saved);
    if (!cursor.ok()) return cursor.status();
    out[name] = *cursor;
  }
  return out;
}

// Every rank's optimizer.pt pieces, in the manifest's order.
absl::Status load_optimizer(const std::string& dir, const json& manifest, TrainingState& s) {
  std::vector<torch::serialize::InputArchive> shards;
  try {
    for (const auto& [name, entry] : manifest["files"].items()) {
      if (!absl::EndsWith(name, std::string("/") + kOptimizerFile)) continue;
      shards.emplace_back();
      shards.back().load_from((fs::path(dir) / name).string());
    }
    return s.optimizer.adamw->load(shards, s.dp->owned_shards());
  } catch (const c10::Error& e) {
    return absl::DataLossError(absl::StrCat("checkpoint ", dir, ": the optimizer state is unreadable: ",
                                            e.what_without_backtrace()));
  }
}

}  // namespace

absl::Status TrainingState::resume(const std::string& dir, std::ostream& log) {
  auto manifest = CheckpointStore::read_manifest(dir);
  if (!manifest.ok()) return manifest.status();
  if (manifest->value("format_version", 1) < 3)
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " is a format-", manifest->value("format_version", 1), " checkpoint (from before the staged curriculum), "
             "which this build does not resume: start a new run.name, or finish that run with the build that wrote it"));
  const int64_t saved_world = manifest->value("world_size", int64_t{1});
  const auto& group = dp->group();
  if (auto s = load_weights(dir, trainable, ema.get(), device(), "--resume",
                            "was it written with another model size? start a new run.name");
      !s.ok())
    return s;
  if (auto s = load_optimizer(dir, *manifest, *this); !s.ok()) return s;
  std::vector<RankState> ranks;
  for (int64_t r = 0; r < saved_world; ++r) {
    auto rank = read_rank_state((fs::path(dir) / rank_folder_name(r) / kRankStateFile).string());
    if (!rank.ok()) return rank.status();
    ranks.push_back(std::move(*rank));
  }
  step = ranks[0].step;
  stage = ranks[0].stage;
  stage_step = ranks[0].stage_step;
  if (stage >= static_cast<int64_t>(config_.stages.size()))
    return absl::FailedPreconditionError(absl::StrCat(dir, " was written in stage ", stage, ", but the config has only ",
                                                      config_.stages.size(), " stages"));
  auto resumed = resume_cursors(ranks, config_, stage, group.rank(), group.size());
  if (!resumed.ok()) return resumed.status();
  cursors = *resumed;
  // Another data-parallel size: ranks that existed keep their noise stream, new ones start a fresh one.
  if (group.rank() < saved_world) {
    latent_rng.set_state(ranks[static_cast<size_t>(group.rank())].latent_rng);
  } else {
    latent_rng = make_latent_rng(config_, group.rank(), step);
  }
  if (saved_world != group.size())
    log << "resharded a " << saved_world << "-rank checkpoint onto " << group.size()
        << " ranks: optimizer state re-cut from its saved pieces; every task's data cursor re-striped "
           "(docs/distributed.md)" << std::endl;
  return absl::OkStatus();
}

}  // namespace tetra::trainer
