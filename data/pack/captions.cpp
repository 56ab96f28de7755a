#include "data/pack/captions.h"

#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "data/pack/caption_manifest.h"
#include "data/shards/h5_shard_file.h"
#include "data/util/half.h"
#include "data/util/io_util.h"
#include "data/shards/image_shard.h"
#include "data/shards/text_columns.h"

namespace tetra::data {
namespace {

absl::StatusOr<std::vector<uint16_t>> embed_captions(const std::vector<std::string>& captions,
                                                    TextEncoder& encoder, int64_t batch) {
  std::vector<uint16_t> halves(captions.size() * static_cast<size_t>(encoder.width()), 0);
  std::vector<std::string> texts;
  std::vector<size_t> rows;
  auto flush = [&]() -> absl::Status {
    if (texts.empty()) return absl::OkStatus();
    absl::StatusOr<std::vector<float>> out = encoder.encode(texts);
    if (!out.ok()) return out.status();
    const size_t w = static_cast<size_t>(encoder.width());
    for (size_t k = 0; k < rows.size(); ++k) {
      for (size_t j = 0; j < w; ++j) halves[rows[k] * w + j] = float_to_half((*out)[k * w + j]);
    }
    texts.clear();
    rows.clear();
    return absl::OkStatus();
  };
  for (size_t i = 0; i < captions.size(); ++i) {
    if (captions[i].empty()) continue;  // uncaptioned: a zero row
    texts.push_back(captions[i]);
    rows.push_back(i);
    if (static_cast<int64_t>(texts.size()) == batch) {
      if (absl::Status s = flush(); !s.ok()) return s;
    }
  }
  if (absl::Status s = flush(); !s.ok()) return s;
  return halves;
}

// Rewrites one shard's /text group; returns how many of its samples got a caption.
absl::StatusOr<int64_t> caption_shard(const std::string& path,
                                     const std::map<std::string, std::string>& captions,
                                     TextEncoder* encoder, int64_t batch,
                                     std::set<std::string>* used, int64_t* samples) {
  std::vector<std::string> ids;
  {
    absl::StatusOr<std::unique_ptr<ShardFileReader>> shard = ShardFileReader::open_any(path);
    if (!shard.ok()) return shard.status();
    absl::StatusOr<std::vector<std::string>> read = (*shard)->strings(
        absl::StrCat(modality_group((*shard)->modality()), "/source_id"), (*shard)->num_samples());
    if (!read.ok()) return read.status();
    ids = std::move(*read);
  }
  std::vector<std::string> column(ids.size());
  int64_t captioned = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto it = captions.find(ids[i]);
    if (it == captions.end()) continue;
    column[i] = it->second;
    used->insert(ids[i]);
    captioned += it->second.empty() ? 0 : 1;
  }
  *samples += static_cast<int64_t>(ids.size());
  if (absl::Status s = write_shard_captions(path, column, encoder, batch); !s.ok()) return s;
  return captioned;
}

std::string report_text(const PackCaptionsOptions& options, const CaptionReport& report,
                       const std::string& encoder) {
  std::string text = absl::StrCat(
      "tetra-data pack captions\nmanifest: ", options.manifest, "\nshards: ", options.shards_dir,
      "\nencoder: ", encoder.empty() ? "none" : encoder, "\nembedding_width: ",
      report.embedding_width, "\nshard_files: ", report.shards, "\nsamples: ", report.samples,
      "\ncaptioned: ", report.captioned, "\nunmatched_manifest_paths: ", report.unmatched.size(),
      "\n");
  if (!report.unmatched.empty()) absl::StrAppend(&text, absl::StrJoin(report.unmatched, "\n"), "\n");
  return text;
}

}  // namespace

absl::Status write_shard_captions(const std::string& path, const std::vector<std::string>& captions,
                                TextEncoder* encoder, int64_t batch) {
  std::vector<uint16_t> embeddings;
  if (encoder != nullptr) {
    absl::StatusOr<std::vector<uint16_t>> embedded = embed_captions(captions, *encoder, batch);
    if (!embedded.ok()) return embedded.status();
    embeddings = std::move(*embedded);
  }
  absl::StatusOr<std::unique_ptr<ShardFileWriter>> writer = ShardFileWriter::edit(path);
  if (!writer.ok()) return writer.status();
  absl::Status s = write_text_columns(**writer, captions, embeddings,
                                    encoder != nullptr ? encoder->width() : 0,
                                    encoder != nullptr ? encoder->name() : "");
  if (s.ok()) s = (*writer)->finish(0);
  return s;
}

absl::StatusOr<CaptionReport> pack_captions(const PackCaptionsOptions& options,
                                           TextEncoder* encoder) {
  if (options.batch < 1) {
    return absl::InvalidArgumentError(absl::StrCat("pack captions: batch must be >= 1, got ",
                                                   options.batch));
  }
  absl::StatusOr<std::vector<CaptionEntry>> entries = read_caption_manifest(options.manifest);
  if (!entries.ok()) return entries.status();
  absl::StatusOr<std::vector<std::string>> shards = list_shards(options.shards_dir);
  if (!shards.ok()) return shards.status();
  std::map<std::string, std::string> captions;
  for (CaptionEntry& e : *entries) captions[e.path] = std::move(e.caption);
  CaptionReport report;
  report.embedding_width = encoder != nullptr ? encoder->width() : 0;
  std::set<std::string> used;
  for (const std::string& path : *shards) {
    absl::StatusOr<int64_t> captioned =
        caption_shard(path, captions, encoder, options.batch, &used, &report.samples);
    if (!captioned.ok()) return captioned.status();
    report.captioned += *captioned;
    ++report.shards;
  }
  for (const auto& [path, caption] : captions) {
    if (used.count(path) == 0) report.unmatched.push_back(path);
  }
  const std::string report_path =
      (std::filesystem::path(options.shards_dir) / "captions_report.txt").string();
  if (absl::Status s = WriteFileAtomically(
          report_path, report_text(options, report, encoder != nullptr ? encoder->name() : ""));
      !s.ok()) {
    return s;
  }
  return report;
}

}  // namespace tetra::data
