// The part every packer shares (`tetra-data pack images|videos|meshes`): find the input files, load
// them in parallel (a bad file becomes a report line, never an abort), write records in input order
// into shards of exactly shard_size samples (the last fewer), and make the pack resumable: after
// each published shard a small "done" note records how far the inputs were consumed, so
// `--resume` after a crash or kill continues with the next shard.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "data/util/ordered_pool.h"
#include "data/pack/pack.h"

namespace tetra::data {

struct PackFile {
  std::string path;
  std::string relative;  // becomes the sample's source_id
};

// The folders, shard size, threads and resume flag come from the packer's options.
struct PackJob : PackFolderOptions {
  PackJob(std::string kind_, const PackFolderOptions& folder, std::vector<std::string> extensions_,
          std::string settings_)
      : PackFolderOptions(folder),
        kind(std::move(kind_)),
        extensions(std::move(extensions_)),
        settings(std::move(settings_)) {}
  std::string kind;  // "images", "videos", "meshes": the report's title and the resume check
  std::vector<std::string> extensions;  // lower-case, with the dot
  std::string settings;  // the options that shape the output; a resume with others is refused
};

// Where a pack stands: the inputs, the next input and shard, and what finished shards reported.
class PackProgress {
 public:
  // Scans the inputs, prepares out_dir and, with job.resume, picks up the finished shards.
  static absl::StatusOr<std::unique_ptr<PackProgress>> start(const PackJob& job);
  const std::vector<PackFile>& files() const { return files_; }
  size_t first_input() const { return first_input_; }
  std::string next_shard_path() const;
  // Records a published shard covering inputs up to `inputs_end` (durable before returning).
  absl::Status commit_shard(size_t inputs_end, int64_t packed, std::vector<std::string> skipped);
  void add_trailing_skips(std::vector<std::string> skipped);
  // Writes out_dir/pack_report.txt; an error when nothing at all could be packed.
  absl::StatusOr<PackReport> finish();

 private:
  explicit PackProgress(PackJob job) : job_(std::move(job)) {}
  absl::Status scan();
  absl::Status prepare_output();
  absl::Status load_finished_shards();

  PackJob job_;
  std::vector<PackFile> files_;
  int64_t ignored_ = 0;
  size_t first_input_ = 0;
  PackReport report_;
};

// "relative: reason" for a file that failed to load (the reason alone when it names the file).
std::string skip_line(const PackFile& file, const absl::Status& status);

// Loads files on job.threads threads and writes the good ones through Writer (Create(path),
// add(const Record&), finish(), size()).
template <typename Writer, typename Record>
absl::StatusOr<PackReport> run_pack(const PackJob& job,
                                   const std::function<absl::StatusOr<Record>(const PackFile&)>& load) {
  absl::StatusOr<std::unique_ptr<PackProgress>> started = PackProgress::start(job);
  if (!started.ok()) return started.status();
  PackProgress& progress = **started;
  const std::vector<PackFile>& files = progress.files();
  std::unique_ptr<Writer> writer;
  std::vector<std::string> skipped;
  auto close_shard = [&](size_t inputs_end) -> absl::Status {
    const int64_t packed = writer->size();
    absl::Status s = writer->finish();
    writer.reset();
    if (!s.ok()) return s;
    return progress.commit_shard(inputs_end, packed, std::move(skipped));
  };
  auto consume = [&](size_t i, absl::StatusOr<Record>&& record) -> absl::Status {
    if (!record.ok()) {
      skipped.push_back(skip_line(files[i], record.status()));
      return absl::OkStatus();
    }
    if (writer == nullptr) {
      auto created = Writer::create(progress.next_shard_path());
      if (!created.ok()) return created.status();
      writer = std::move(*created);
    }
    if (absl::Status s = writer->add(*record); !s.ok()) return s;
    return writer->size() == job.shard_size ? close_shard(i + 1) : absl::OkStatus();
  };
  const std::function<absl::StatusOr<Record>(size_t)> work = [&](size_t i) {
    return load(files[i]);
  };
  const std::function<absl::Status(size_t, absl::StatusOr<Record>&&)> take = consume;
  absl::Status s = run_ordered<absl::StatusOr<Record>>(progress.first_input(), files.size(),
                                                      job.threads, 2 * job.threads + 2, work, take);
  if (s.ok() && writer != nullptr) s = close_shard(files.size());
  if (!s.ok()) return s;
  progress.add_trailing_skips(std::move(skipped));
  return progress.finish();
}

}  // namespace tetra::data
