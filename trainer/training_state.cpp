#include "trainer/training_state.h"

#include <torch/torch.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "parallel/consistency.h"
#include "trainer/data_cursor.h"
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
  int64_t step = 0;
  data::StreamCursor cursor;
  torch::Tensor latent_rng;
};

RankState read_rank_state(const std::string& path) {
  torch::serialize::InputArchive archive;
  archive.load_from(path);
  torch::Tensor step, cursor;
  RankState out;
  archive.read("step", step);
  archive.read("cursor", cursor);
  archive.read("latent_rng", out.latent_rng);
  out.step = step.item<int64_t>();
  out.cursor = {cursor[0].item<int64_t>(), cursor[1].item<int64_t>()};
  return out;
}

absl::Status write_files(TrainingState& s, const Config& config, const json& summary, const std::string& shared_dir,
                         const std::string& rank_dir) {
  try {
    if (!shared_dir.empty()) {
      torch::save(s.model, shared_dir + "/model.pt");
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
    state.write("step", torch::tensor(s.step));
    state.write("cursor", torch::tensor({s.cursor.epoch, s.cursor.index}));
    state.write("latent_rng", s.latent_rng.get_state());
    state.save_to(rank_dir + "/state.pt");
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("writing checkpoint files: ", e.what_without_backtrace()));
  }
  if (shared_dir.empty()) return absl::OkStatus();
  return write_file_atomic(shared_dir + "/state.json", summary.dump(2) + "\n");
}

}  // namespace

at::Generator make_latent_rng(const Config& config, int64_t rank, int64_t step) {
  const uint64_t seed = static_cast<uint64_t>(config.run.seed) + 1 + static_cast<uint64_t>(rank) * 0x9E3779B97F4A7C15ULL +
                        static_cast<uint64_t>(step) * 0xBF58476D1CE4E5B9ULL;
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

absl::StatusOr<CheckpointInfo> save_checkpoint(CheckpointStore& store, TrainingState& s, const Config& config) {
  auto& comm = *s.dp->group().host;
  const auto digests = parallel::all_gather_strings(comm, weights_sha256(*s.model));
  for (size_t r = 1; r < digests.size(); ++r)
    if (digests[r] != digests[0])
      return parallel::mark_collective(absl::InternalError(absl::StrCat(
          "replicas diverged at step ", s.step, ": rank ", r, "'s weights differ from rank 0's. Data-parallel replicas "
          "must stay bitwise equal; the run stops rather than train on inconsistent weights")));
  auto mine = torch::tensor({s.cursor.epoch, s.cursor.index}, torch::kInt64);
  auto cursors = torch::empty({comm.size(), 2}, torch::kInt64);
  comm.all_gather(mine, cursors)->wait();
  json summary = {{"step", s.step}, {"world_size", comm.size()}, {"zero1", s.dp->zero1()}, {"replica_sha256", digests}};
  for (int r = 0; r < comm.size(); ++r)
    summary["data_cursors"].push_back({cursors[r][0].item<int64_t>(), cursors[r][1].item<int64_t>()});
  json extra = {{"world_size", comm.size()}, {"zero1", s.dp->zero1()}, {"replica_sha256", digests}};
  auto saved = store.save(
      s.step, comm,
      [&](const std::string& shared_dir, const std::string& rank_dir) {
        return write_files(s, config, summary, shared_dir, rank_dir);
      },
      extra);
  if (!saved.ok()) return parallel::mark_collective(saved.status());
  return saved;
}

absl::Status load_checkpoint(const std::string& dir, TrainingState& s, const Config& config, std::ostream& log) {
  auto manifest = CheckpointStore::read_manifest(dir);
  if (!manifest.ok()) return manifest.status();
  if (manifest->value("format_version", 1) < 2)
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " is a format-1 checkpoint (the single-process layout from before data parallelism), which this build "
             "does not resume: start a new run.name, or finish that run with the build that wrote it"));
  const int64_t saved_world = manifest->value("world_size", int64_t{1});
  const auto& group = s.dp->group();
  std::vector<RankState> ranks;
  try {
    torch::load(s.model, dir + "/model.pt", s.dp->params().empty() ? torch::kCPU : s.dp->params()[0].device());
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
  } catch (const c10::Error& e) {
    return absl::DataLossError(absl::StrCat("checkpoint ", dir, " does not fit this model/config: ",
                                            e.what_without_backtrace(),
                                            " (was it written with another model size? start a new run.name)"));
  }
  std::vector<data::StreamCursor> cursors;
  for (const auto& r : ranks) cursors.push_back(r.cursor);
  s.step = ranks[0].step;
  s.cursor = reshard_cursor(cursors, group.rank(), group.size());
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
  const GlobalPosition at = resume_position(cursors);
  log << "resharded a " << saved_world << "-rank checkpoint onto " << group.size()
      << " ranks: optimizer state re-cut from its saved pieces; data continues epoch " << at.epoch << " at position "
      << at.position << " (docs/distributed.md)" << std::endl;
  return absl::OkStatus();
}

}  // namespace tetra::trainer
