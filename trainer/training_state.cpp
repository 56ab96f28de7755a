#include "trainer/training_state.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "parallel/consistency.h"
#include "trainer/tasks.h"
#include "trainer/files.h"

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
  return sha256_hex(bytes);
}

struct RankState {
  int64_t step = 0, stage = 0, stage_step = 0;
  std::map<std::string, data::LoaderCursor> cursors;
  torch::Tensor latent_rng;
};

std::string cursors_json(const std::map<std::string, data::LoaderCursor>& cursors) {
  json out = json::object();
  for (const auto& [task, cursor] : cursors) out[task] = data::format_cursor(cursor);
  return out.dump();
}

RankState read_rank_state(const std::string& path) {
  torch::serialize::InputArchive archive;
  archive.load_from(path);
  torch::Tensor position;
  c10::IValue cursors;
  RankState out;
  archive.read("position", position);
  archive.read("cursors", cursors);
  archive.read("latent_rng", out.latent_rng);
  out.step = position[0].item<int64_t>();
  out.stage = position[1].item<int64_t>();
  out.stage_step = position[2].item<int64_t>();
  const json saved = json::parse(cursors.toStringRef());  // named: items() must not outlive it
  for (const auto& [task, text] : saved.items()) {
    auto cursor = data::parse_cursor(text.get<std::string>());
    TORCH_CHECK(cursor.ok(), "data cursor of task ", task, " in ", path, ": ", std::string(cursor.status().message()));
    out.cursors[task] = *cursor;
  }
  return out;
}

absl::Status write_files(TrainingState& s, const json& summary, const std::string& shared_dir,
                         const std::string& rank_dir) {
  try {
    if (!shared_dir.empty()) {
      torch::save(s.trainable, shared_dir + "/model.pt");
      torch::serialize::OutputArchive ema;
      s.ema->save(ema);
      ema.save_to(shared_dir + "/ema.pt");
    }
    // Without ZeRO-1 every rank holds the same whole optimizer state: rank 0 writes it for all.
    if (!shared_dir.empty() || s.dp->zero1()) {
      torch::serialize::OutputArchive optimizer;
      s.optimizer.adamw->save(optimizer);
      optimizer.save_to(rank_dir + "/optimizer.pt");
    }
    torch::serialize::OutputArchive state;
    state.write("position", torch::tensor({s.step, s.stage, s.stage_step}));
    state.write("cursors", c10::IValue(cursors_json(s.cursors)));
    state.write("latent_rng", s.latent_rng.get_state());
    state.save_to(rank_dir + "/state.pt");
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("writing checkpoint files: ", e.what_without_backtrace()));
  }
  if (shared_dir.empty()) return absl::OkStatus();
  return write_file_atomic(shared_dir + "/state.json", summary.dump(2) + "\n");
}

}  // namespace

model::PatchSize patch_size(const ModelConfig& m) { return {m.patch_time, m.patch_size, m.patch_size, 3}; }

model::TokenizerOptions tokenizer_options(const ModelConfig& m) {
  model::TokenizerOptions o;
  model::apply_preset(m.preset, &o);
  if (m.width) o.width = m.width;
  if (m.depth) o.depth = m.depth;
  if (m.heads) o.heads = m.heads;
  if (m.mlp_hidden) o.mlp_hidden = m.mlp_hidden;
  o.latent_channels = m.latent_channels;
  o.embed_dim = m.embed_dim;
  o.position_grid = m.position_grid;
  o.rope_base = m.rope_base;
  o.patch = patch_size(m);
  o.fsq = model::FsqOptions{m.fsq_groups, m.fsq_dims, m.fsq_levels};
  return o;
}

Trainable make_trainable(const Config& config) {
  return Trainable(model::Tokenizer(tokenizer_options(config.model)),
                   losses::SigLipLoss(losses::SigLipLossOptions{config.loss.siglip_logit_scale,
                                                                config.loss.siglip_logit_bias}));
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

absl::Status rebuild_optimizer(TrainingState& s, const Config& config) {
  const parallel::Group group = s.dp->group();
  // The old wrapper first: it holds the parameters' gradient accumulators, which remember the old
  // shapes; only once they are gone does autograd make new ones for the widened parameters.
  s.dp.reset();
  for (auto& p : s.trainable->parameters()) p.mutable_grad() = torch::Tensor();
  s.dp = std::make_unique<parallel::DataParallel>(*s.trainable, group, dp_options(config.parallel));
  s.optimizer = make_optimizer(s.dp->names(), s.dp->params(), config.optim);
  return absl::OkStatus();
}

absl::Status init_training_state(TrainingState& s, const Config& config, const parallel::Group& group,
                                 torch::Device device) {
  s.trainable = make_trainable(config);
  s.model = s.trainable->model;
  s.trainable->to(device);
  s.dp = std::make_unique<parallel::DataParallel>(*s.trainable, group, dp_options(config.parallel));
  if (auto status = s.dp->check_same_model(); !status.ok()) return status;
  s.dp->broadcast_from_rank0();
  s.optimizer = make_optimizer(s.dp->names(), s.dp->params(), config.optim);
  s.ema = std::make_unique<WeightEma>(*s.trainable, config.optim.ema_decay);
  s.latent_rng = make_latent_rng(config, group.rank(), 0);
  return absl::OkStatus();
}

at::Generator make_latent_rng(const Config& config, int64_t rank, int64_t step) {
  const uint64_t seed = static_cast<uint64_t>(config.run.seed) + 1 + static_cast<uint64_t>(rank) * 0x9E3779B97F4A7C15ULL +
                        static_cast<uint64_t>(step) * 0xBF58476D1CE4E5B9ULL;
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

absl::StatusOr<CheckpointInfo> save_checkpoint(CheckpointStore& store, TrainingState& s, const Config& config) {
  auto& comm = *s.dp->group().host;
  const auto digests = parallel::all_gather_strings(comm, weights_sha256(*s.trainable));
  for (size_t r = 1; r < digests.size(); ++r)
    if (digests[r] != digests[0])
      return parallel::mark_collective(absl::InternalError(absl::StrCat(
          "replicas diverged at step ", s.step, ": rank ", r, "'s weights differ from rank 0's. Data-parallel replicas "
          "must stay bitwise equal; the run stops rather than train on inconsistent weights")));
  const auto cursors = parallel::all_gather_strings(comm, cursors_json(s.cursors));
  const StageConfig& stage = config.stages[static_cast<size_t>(s.stage)];
  json summary = {{"step", s.step},
                  {"stage", s.stage},
                  {"stage_name", stage.name},
                  {"stage_step", s.stage_step},
                  {"latent_channels", s.model->options.latent_channels},
                  {"discrete", s.model->options.discrete},
                  {"world_size", comm.size()},
                  {"zero1", s.dp->zero1()},
                  {"replica_sha256", digests}};
  for (const auto& c : cursors) summary["data_cursors"].push_back(json::parse(c));
  json extra = {{"world_size", comm.size()}, {"zero1", s.dp->zero1()}, {"replica_sha256", digests}};
  auto saved = store.save(
      s.step, comm,
      [&](const std::string& shared_dir, const std::string& rank_dir) {
        return write_files(s, summary, shared_dir, rank_dir);
      },
      extra);
  if (!saved.ok()) return parallel::mark_collective(saved.status());
  return saved;
}

absl::StatusOr<CheckpointPosition> checkpoint_position(const std::string& dir) {
  std::ifstream in(dir + "/state.json");
  if (!in) return absl::NotFoundError(absl::StrCat(dir, "/state.json is missing: not a Tetra checkpoint"));
  try {
    const json state = json::parse(in);
    return CheckpointPosition{state.value("step", int64_t{0}), state.value("stage", int64_t{0}),
                              state.value("stage_name", std::string()), state.value("latent_channels", int64_t{0})};
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat(dir, "/state.json is unreadable: ", e.what()));
  }
}

absl::Status load_weights(const std::string& dir, TrainingState& s) {
  if (auto status = CheckpointStore::verify(dir); !status.ok()) return status;
  try {
    torch::load(s.trainable, dir + "/model.pt", s.dp->params()[0].device());
    torch::serialize::InputArchive ema;
    ema.load_from(dir + "/ema.pt");
    s.ema->load(ema);
  } catch (const c10::Error& e) {
    return absl::DataLossError(absl::StrCat("run.init_from: checkpoint ", dir, " does not fit this model: ",
                                            e.what_without_backtrace(), " (check the model: section matches its run's)"));
  }
  return absl::OkStatus();
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

}  // namespace

absl::Status load_checkpoint(const std::string& dir, TrainingState& s, const Config& config, std::ostream& log) {
  auto manifest = CheckpointStore::read_manifest(dir);
  if (!manifest.ok()) return manifest.status();
  if (manifest->value("format_version", 1) < 3)
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " is a format-", manifest->value("format_version", 1), " checkpoint (from before the staged curriculum), "
             "which this build does not resume: start a new run.name, or finish that run with the build that wrote it"));
  const int64_t saved_world = manifest->value("world_size", int64_t{1});
  const auto& group = s.dp->group();
  std::vector<RankState> ranks;
  try {
    torch::load(s.trainable, dir + "/model.pt", s.dp->params().empty() ? torch::kCPU : s.dp->params()[0].device());
    torch::serialize::InputArchive ema;
    ema.load_from(dir + "/ema.pt");
    s.ema->load(ema);
    std::vector<torch::serialize::InputArchive> optimizer_shards;
    for (const auto& [name, entry] : (*manifest)["files"].items()) {
      if (!absl::EndsWith(name, "/optimizer.pt")) continue;
      optimizer_shards.emplace_back();
      optimizer_shards.back().load_from((fs::path(dir) / name).string());
    }
    if (auto st = s.optimizer.adamw->load(optimizer_shards, s.dp->owned_shards()); !st.ok()) return st;
    for (int64_t r = 0; r < saved_world; ++r)
      ranks.push_back(read_rank_state((fs::path(dir) / rank_folder_name(r) / "state.pt").string()));
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat("checkpoint ", dir, ": a rank's state.pt holds unreadable data cursors (",
                                            e.what(), "); resume from an older checkpoint (delete this folder)"));
  } catch (const c10::Error& e) {
    return absl::DataLossError(absl::StrCat("checkpoint ", dir, " does not fit this model/config: ",
                                            e.what_without_backtrace(),
                                            " (was it written with another model size? start a new run.name)"));
  }
  s.step = ranks[0].step;
  s.stage = ranks[0].stage;
  s.stage_step = ranks[0].stage_step;
  if (s.stage >= static_cast<int64_t>(config.stages.size()))
    return absl::FailedPreconditionError(absl::StrCat(dir, " was written in stage ", s.stage, ", but the config has only ",
                                                      config.stages.size(), " stages"));
  auto cursors = resume_cursors(ranks, config, s.stage, group.rank(), group.size());
  if (!cursors.ok()) return cursors.status();
  s.cursors = *cursors;
  if (saved_world == group.size()) {
    s.latent_rng.set_state(ranks[static_cast<size_t>(group.rank())].latent_rng);
    return absl::OkStatus();
  }
  // Another data-parallel size: ranks that existed keep their noise stream, new ones start a fresh one.
  if (group.rank() < saved_world) {
    s.latent_rng.set_state(ranks[static_cast<size_t>(group.rank())].latent_rng);
  } else {
    s.latent_rng = make_latent_rng(config, group.rank(), s.step);
  }
  log << "resharded a " << saved_world << "-rank checkpoint onto " << group.size()
      << " ranks: optimizer state re-cut from its saved pieces; every task's data cursor re-striped "
         "(docs/distributed.md)" << std::endl;
  return absl::OkStatus();
}

}  // namespace tetra::trainer
