#include "data/pack/runner.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "data/util/io_util.h"
#include "data/util/rng_util.h"

namespace tetra::data {
namespace {

namespace fs = std::filesystem;

constexpr char kStateDir[] = ".pack";

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string shard_name(int64_t index) {
  char name[32];
  std::snprintf(name, sizeof(name), "shard-%05lld", static_cast<long long>(index));
  return name;
}

// What a resumed pack must agree on: the kind, the settings, the shard size and the input list.
std::string state_text(const PackJob& job, const std::vector<PackFile>& files) {
  uint64_t hash = 0;
  for (const PackFile& f : files) {
    for (unsigned char c : f.relative) hash = split_mix64(hash ^ c);
    hash = split_mix64(hash ^ 0x2f);
  }
  return absl::StrCat("kind ", job.kind, "\nsettings ", job.settings, "\nshard_size ",
                      job.shard_size, "\ninputs ", files.size(), " ", hash, "\n");
}

}  // namespace

std::string skip_line(const PackFile& file, const absl::Status& status) {
  const std::string message(status.message());
  if (absl::StartsWith(message, file.relative + ":")) return message;
  if (absl::StartsWith(message, file.path + ":")) {
    return absl::StrCat(file.relative, message.substr(file.path.size()));
  }
  return absl::StrCat(file.relative, ": ", message);
}

absl::StatusOr<std::unique_ptr<PackProgress>> PackProgress::start(const PackJob& job) {
  if (job.shard_size <= 0 || job.threads <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("pack ", job.kind, ": shard_size (",
                                                   job.shard_size, ") and threads (", job.threads,
                                                   ") must be positive"));
  }
  std::error_code ec;
  if (!fs::is_directory(job.in_dir, ec)) {
    return absl::NotFoundError(
        absl::StrCat("input folder '", job.in_dir, "' does not exist or is not a folder"));
  }
  std::unique_ptr<PackProgress> progress(new PackProgress(job));
  if (absl::Status s = progress->scan(); !s.ok()) return s;
  if (absl::Status s = progress->prepare_output(); !s.ok()) return s;
  return progress;
}

absl::Status PackProgress::scan() {
  std::error_code ec;
  fs::recursive_directory_iterator it(job_.in_dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    const std::string ext = lower(it->path().extension().string());
    if (std::find(job_.extensions.begin(), job_.extensions.end(), ext) == job_.extensions.end()) {
      ++ignored_;
      continue;
    }
    files_.push_back({it->path().string(), it->path().lexically_relative(job_.in_dir).generic_string()});
  }
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot walk input folder '", job_.in_dir, "': ", ec.message()));
  }
  if (files_.empty()) {
    return absl::NotFoundError(absl::StrCat("input folder '", job_.in_dir, "' holds no ",
                                            absl::StrJoin(job_.extensions, "/"), " files"));
  }
  std::sort(files_.begin(), files_.end(),
            [](const PackFile& a, const PackFile& b) { return a.relative < b.relative; });
  return absl::OkStatus();
}

absl::Status PackProgress::prepare_output() {
  std::error_code ec;
  const fs::path state_dir = fs::path(job_.out_dir) / kStateDir;
  const std::string state_path = (state_dir / "state").string();
  const std::string state = state_text(job_, files_);
  bool has_shards = false;
  for (const auto& entry : fs::directory_iterator(job_.out_dir, ec)) {
    has_shards = has_shards || entry.path().extension() == ".h5";
  }
  const bool has_state = fs::exists(state_path, ec);
  if (has_shards && !job_.resume) {
    return absl::AlreadyExistsError(absl::StrCat(
        "output folder '", job_.out_dir, "' already holds shards; pack into an empty folder, delete "
        "them first, or pass --resume to continue an interrupted pack of the same inputs"));
  }
  if (job_.resume && has_state) {
    if (ReadTextOrEmpty(state_path) != state) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot resume in '", job_.out_dir, "': it holds a pack of other inputs or settings (",
          state_path, "); use an empty folder"));
    }
    return load_finished_shards();
  }
  if (has_shards) {
    return absl::FailedPreconditionError(absl::StrCat("cannot resume in '", job_.out_dir,
                                                      "': its shards were not written by a "
                                                      "resumable pack; use an empty folder"));
  }
  fs::create_directories(state_dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create output folder '", job_.out_dir, "': ", ec.message()));
  }
  return WriteFileAtomically(state_path, state);
}

// Each finished shard left "<shard>.done": inputs_end, packed, then its skip lines.
absl::Status PackProgress::load_finished_shards() {
  const fs::path state_dir = fs::path(job_.out_dir) / kStateDir;
  while (true) {
    const std::string path = (state_dir / (shard_name(report_.shards) + ".done")).string();
    std::error_code ec;
    if (!fs::exists(path, ec)) break;
    int64_t inputs_end = -1, packed = -1;
    for (absl::string_view line : absl::StrSplit(ReadTextOrEmpty(path), '\n', absl::SkipEmpty())) {
      if (absl::ConsumePrefix(&line, "inputs_end ")) {
        if (!absl::SimpleAtoi(line, &inputs_end)) inputs_end = -1;
      } else if (absl::ConsumePrefix(&line, "packed ")) {
        if (!absl::SimpleAtoi(line, &packed)) packed = -1;
      } else if (absl::ConsumePrefix(&line, "skip ")) {
        report_.skipped.emplace_back(line);
      }
    }
    if (inputs_end < 0 || inputs_end > static_cast<int64_t>(files_.size()) || packed < 0) {
      return absl::DataLossError(absl::StrCat("cannot resume: progress note '", path,
                                              "' is damaged; delete the output folder and re-pack"));
    }
    first_input_ = static_cast<size_t>(inputs_end);
    report_.packed += packed;
    ++report_.shards;
  }
  report_.resumed_shards = report_.shards;
  return absl::OkStatus();
}

std::string PackProgress::next_shard_path() const {
  return (fs::path(job_.out_dir) / (shard_name(report_.shards) + ".h5")).string();
}

absl::Status PackProgress::commit_shard(size_t inputs_end, int64_t packed,
                                       std::vector<std::string> skipped) {
  std::string note = absl::StrCat("inputs_end ", inputs_end, "\npacked ", packed, "\n");
  for (const std::string& line : skipped) absl::StrAppend(&note, "skip ", line, "\n");
  const std::string path =
      (fs::path(job_.out_dir) / kStateDir / (shard_name(report_.shards) + ".done")).string();
  if (absl::Status s = WriteFileAtomically(path, note); !s.ok()) return s;
  report_.packed += packed;
  ++report_.shards;
  for (std::string& line : skipped) report_.skipped.push_back(std::move(line));
  return absl::OkStatus();
}

void PackProgress::add_trailing_skips(std::vector<std::string> skipped) {
  for (std::string& line : skipped) report_.skipped.push_back(std::move(line));
}

absl::StatusOr<PackReport> PackProgress::finish() {
  report_.ignored = ignored_;
  if (report_.packed == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input folder '", job_.in_dir, "': none of its ", files_.size(), " ", job_.kind,
        " files could be packed, e.g. ", report_.skipped.empty() ? "" : report_.skipped.front()));
  }
  std::string text = absl::StrCat(
      "tetra-data pack ", job_.kind, "\nin: ", job_.in_dir, "\nout: ", job_.out_dir,
      "\nsettings: ", job_.settings, "\npacked: ", report_.packed, "\nshards: ", report_.shards,
      "\nshard_size: ", job_.shard_size, "\nresumed_shards: ", report_.resumed_shards,
      "\nskipped: ", report_.skipped.size(), "\nignored_other_files: ", ignored_, "\n");
  if (!report_.skipped.empty()) absl::StrAppend(&text, absl::StrJoin(report_.skipped, "\n"), "\n");
  const std::string path = (fs::path(job_.out_dir) / "pack_report.txt").string();
  if (absl::Status s = WriteFileAtomically(path, text); !s.ok()) return s;
  return report_;
}

}  // namespace tetra::data
