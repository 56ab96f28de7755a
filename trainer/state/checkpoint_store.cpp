#include "trainer/state/checkpoint_store.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "parallel/self_communicator.h"

namespace tetra::trainer {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr char kManifest[] = "MANIFEST.json";

std::string step_folder_name(int64_t step) { return absl::StrFormat("step-%09d", step); }

bool parse_step_folder(const std::string& name, int64_t* step) {
  long long parsed = 0;
  char tail = 0;
  if (std::sscanf(name.c_str(), "step-%lld%c", &parsed, &tail) != 1) return false;
  *step = parsed;
  return true;
}

// Fsyncs and hashes the regular files directly in `dir`, naming them relative to `base`.
absl::Status describe_files(const fs::path& base, const fs::path& dir, json* files) {
  std::vector<fs::path> entries;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file()) entries.push_back(e.path());
  if (ec) return absl::InternalError(absl::StrCat("cannot list '", dir.string(), "': ", ec.message()));
  std::sort(entries.begin(), entries.end());
  for (const auto& path : entries) {
    TETRA_ASSIGN_OR_RETURN(std::string sha, common::sha256_file(path.string()));
    TETRA_RETURN_IF_ERROR(common::fsync_path(path.string()));
    (*files)[fs::relative(path, base).string()] = {{"bytes", fs::file_size(path)}, {"sha256", sha}};
  }
  return common::fsync_path(dir.string());
}

// This rank's part of a save: write its files, then describe them. JSON for the gather.
std::string write_rank_part(const fs::path& tmp, int rank, const CheckpointStore::WriteFiles& write_files) {
  const fs::path rank_dir = tmp / rank_folder_name(rank);
  std::error_code ec;
  fs::create_directories(rank_dir, ec);
  absl::Status status = ec ? absl::InternalError(absl::StrCat("cannot create '", rank_dir.string(), "': ", ec.message()))
                           : write_files(rank == 0 ? tmp.string() : std::string(), rank_dir.string());
  json files = json::object();
  if (status.ok()) status = describe_files(tmp, rank_dir, &files);
  if (status.ok() && rank == 0) status = describe_files(tmp, tmp, &files);
  if (!status.ok()) return json{{"ok", false}, {"error", std::string(status.message())}}.dump();
  return json{{"ok", true}, {"files", files}}.dump();
}

// Rank 0, once every rank's files are durable: manifest last, then the folder takes its final name.
absl::Status commit(const fs::path& tmp, const fs::path& final_dir, const std::string& root, int64_t step,
                    const json& files, const json& extra) {
  json manifest = {{"format", "tetra-checkpoint"}, {"format_version", kCheckpointFormatVersion},
                   {"step", step}, {"files", files}};
  for (const auto& [key, value] : extra.items()) manifest[key] = value;
  TETRA_RETURN_IF_ERROR(common::write_file_atomic((tmp / kManifest).string(), manifest.dump(2) + "\n"));
  TETRA_RETURN_IF_ERROR(common::fsync_path(tmp.string()));
  std::error_code ec;
  fs::remove_all(final_dir, ec);  // a re-save of the same step (e.g. after resume) replaces it
  fs::rename(tmp, final_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot commit checkpoint '", final_dir.string(), "': ", ec.message()));
  return common::fsync_path(root);
}

}  // namespace

CheckpointStore::CheckpointStore(std::string root, int64_t keep_last)
    : root_(std::move(root)), keep_last_(keep_last) {}

std::string rank_folder_name(int64_t rank) { return absl::StrFormat("rank-%05d", rank); }

absl::StatusOr<CheckpointInfo> CheckpointStore::save(int64_t step, parallel::Communicator& comm,
                                                     const WriteFiles& write_files, const json& manifest_extra) {
  const fs::path final_dir = fs::path(root_) / step_folder_name(step);
  const fs::path tmp = fs::path(root_) / (".tmp-" + step_folder_name(step));
  // Rank 0 clears what an interrupted save of this step left, before anyone writes.
  std::string prepared;
  if (comm.rank() == 0) {
    std::error_code ec;
    fs::create_directories(root_, ec);
    if (!ec) fs::remove_all(tmp, ec);
    if (!ec) fs::create_directories(tmp, ec);
    if (ec) prepared = absl::StrCat("cannot create '", tmp.string(), "': ", ec.message());
  }
  prepared = parallel::broadcast_string(comm, prepared, 0);
  if (!prepared.empty()) return absl::InternalError(prepared);

  const auto parts = parallel::all_gather_strings(comm, write_rank_part(tmp, comm.rank(), write_files));
  json files = json::object();
  for (size_t r = 0; r < parts.size(); ++r) {
    const json part = json::parse(parts[r]);
    if (!part.value("ok", false))
      return absl::InternalError(absl::StrCat("checkpoint of step ", step, ": rank ", r, " could not write its files: ",
                                              part.value("error", std::string("?"))));
    for (const auto& [name, entry] : part["files"].items()) files[name] = entry;
  }
  std::string committed;
  if (comm.rank() == 0) {
    auto s = commit(tmp, final_dir, root_, step, files, manifest_extra);
    if (s.ok()) prune();
    committed = std::string(s.message());
  }
  committed = parallel::broadcast_string(comm, committed, 0);
  if (!committed.empty()) return absl::InternalError(committed);
  return CheckpointInfo{step, final_dir.string()};
}

absl::StatusOr<CheckpointInfo> CheckpointStore::save(
    int64_t step, const std::function<absl::Status(const std::string& dir)>& write_files) {
  parallel::SelfCommunicator self;
  return save(step, self, [&](const std::string& shared_dir, const std::string&) { return write_files(shared_dir); });
}

std::vector<CheckpointInfo> CheckpointStore::list() const {
  std::vector<CheckpointInfo> found;
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) return found;
  for (const auto& e : fs::directory_iterator(root_, ec)) {
    int64_t step = 0;
    if (e.is_directory() && parse_step_folder(e.path().filename().string(), &step) &&
        fs::exists(e.path() / kManifest))
      found.push_back({step, e.path().string()});
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.step > b.step; });
  return found;
}

absl::StatusOr<json> CheckpointStore::read_manifest(const std::string& dir) {
  TETRA_ASSIGN_OR_RETURN(std::string text, common::read_file((fs::path(dir) / kManifest).string()));
  json manifest = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded() || !manifest.contains("files"))
    return absl::DataLossError(absl::StrCat(dir, "/", kManifest, " is not a valid manifest"));
  return manifest;
}

absl::Status CheckpointStore::verify(const std::string& dir) {
  auto read = read_manifest(dir);
  if (!read.ok()) return read.status();
  const json& manifest = *read;
  if (manifest.value("format_version", 0) > kCheckpointFormatVersion)
    return absl::FailedPreconditionError(absl::StrCat(dir, ": checkpoint format_version ",
                                                      manifest.value("format_version", 0),
                                                      " is newer than this build reads (", kCheckpointFormatVersion, ")"));
  for (const auto& [name, entry] : manifest["files"].items()) {
    const std::string path = (fs::path(dir) / name).string();
    std::error_code ec;
    const auto bytes = fs::file_size(path, ec);
    if (ec) return absl::DataLossError(absl::StrCat(path, " is missing"));
    if (bytes != entry.value("bytes", uint64_t{0}))
      return absl::DataLossError(absl::StrCat(path, " has ", bytes, " bytes, the manifest says ", entry.value("bytes", uint64_t{0})));
    TETRA_ASSIGN_OR_RETURN(std::string sha, common::sha256_file(path));
    if (sha != entry.value("sha256", std::string()))
      return absl::DataLossError(absl::StrCat(path, " is corrupt: its SHA-256 does not match the manifest"));
  }
  return absl::OkStatus();
}

absl::StatusOr<CheckpointInfo> CheckpointStore::latest_valid(std::vector<std::string>* rejected) const {
  for (const auto& info : list()) {
    auto status = verify(info.dir);
    if (status.ok()) return info;
    if (rejected) rejected->push_back(absl::StrCat("rejected checkpoint ", info.dir, ": ", status.message()));
  }
  return absl::NotFoundError(absl::StrCat("no usable checkpoint in '", root_, "'"));
}

void CheckpointStore::prune() const {
  auto all = list();
  std::error_code ec;
  for (size_t i = static_cast<size_t>(keep_last_); i < all.size(); ++i) fs::remove_all(all[i].dir, ec);
}

}  // namespace tetra::trainer
