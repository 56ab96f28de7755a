#include "trainer/checkpoint.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "trainer/files.h"

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

absl::Status write_manifest(const std::string& dir, int64_t step) {
  json files = json::object();
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(dir)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  for (const auto& path : entries) {
    auto sha = sha256_file(path.string());
    if (!sha.ok()) return sha.status();
    if (auto s = fsync_path(path.string()); !s.ok()) return s;
    files[path.filename().string()] = {{"bytes", fs::file_size(path)}, {"sha256", *sha}};
  }
  json manifest = {{"format", "tetra-checkpoint"}, {"format_version", kCheckpointFormatVersion},
                   {"step", step}, {"files", files}};
  return write_file_atomic((fs::path(dir) / kManifest).string(), manifest.dump(2) + "\n");
}

}  // namespace

CheckpointStore::CheckpointStore(std::string root, int64_t keep_last)
    : root_(std::move(root)), keep_last_(keep_last) {}

absl::StatusOr<CheckpointInfo> CheckpointStore::save(
    int64_t step, const std::function<absl::Status(const std::string& dir)>& write_files) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create checkpoint folder '", root_, "': ", ec.message()));
  const fs::path final_dir = fs::path(root_) / step_folder_name(step);
  const fs::path tmp_dir = fs::path(root_) / (".tmp-" + step_folder_name(step));
  fs::remove_all(tmp_dir, ec);
  fs::create_directories(tmp_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create '", tmp_dir.string(), "': ", ec.message()));
  if (auto s = write_files(tmp_dir.string()); !s.ok()) return s;
  if (auto s = write_manifest(tmp_dir.string(), step); !s.ok()) return s;
  if (auto s = fsync_path(tmp_dir.string()); !s.ok()) return s;
  fs::remove_all(final_dir, ec);  // a re-save of the same step (e.g. after resume) replaces it
  fs::rename(tmp_dir, final_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot commit checkpoint '", final_dir.string(), "': ", ec.message()));
  if (auto s = fsync_path(root_); !s.ok()) return s;
  prune();
  return CheckpointInfo{step, final_dir.string()};
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

absl::Status CheckpointStore::verify(const std::string& dir) {
  auto text = read_file((fs::path(dir) / kManifest).string());
  if (!text.ok()) return text.status();
  json manifest = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded() || !manifest.contains("files"))
    return absl::DataLossError(absl::StrCat(dir, "/", kManifest, " is not a valid manifest"));
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
    auto sha = sha256_file(path);
    if (!sha.ok()) return sha.status();
    if (*sha != entry.value("sha256", std::string()))
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
