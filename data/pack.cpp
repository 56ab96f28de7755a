// PackImages: find images, validate them in parallel by decoding, store the original file bytes.
// A bad file is skipped with its reason; only a missing/empty input or a write failure aborts.
#include "data/pack.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "data/image.h"
#include "data/io_util.h"
#include "data/shard_sequence.h"

namespace tetra::data {
namespace {

namespace fs = std::filesystem;

// Files decoded at once: bounds memory (their bytes stay in RAM until written) while giving every
// thread plenty to do.
constexpr size_t kBatchFiles = 256;

struct Candidate {
  std::string path;
  std::string relative;  // becomes the record's source_id
};

struct Scan {
  std::vector<Candidate> images;
  int64_t ignored = 0;  // files without an image extension
};

// What validating one file produced: a record to store, or why it was skipped.
struct Validated {
  std::optional<ImageRecord> record;
  std::string skipped;
};

bool HasImageExtension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

absl::StatusOr<Scan> FindImages(const std::string& in_dir) {
  Scan scan;
  std::error_code ec;
  fs::recursive_directory_iterator it(in_dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    if (!HasImageExtension(it->path())) {
      ++scan.ignored;
      continue;
    }
    scan.images.push_back(
        {it->path().string(), it->path().lexically_relative(in_dir).generic_string()});
  }
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot walk input folder '", in_dir, "': ", ec.message()));
  }
  std::sort(scan.images.begin(), scan.images.end(),
            [](const Candidate& a, const Candidate& b) { return a.relative < b.relative; });
  return scan;
}

Validated ValidateFile(const Candidate& file) {
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadFileBytes(file.path);
  if (!bytes.ok()) return {std::nullopt, absl::StrCat(file.relative, ": ", bytes.status().message())};
  if (bytes->empty()) return {std::nullopt, absl::StrCat(file.relative, ": empty file")};
  absl::StatusOr<Image> image = DecodeImage(bytes->data(), bytes->size(), file.relative);
  if (!image.ok()) return {std::nullopt, std::string(image.status().message())};
  ImageRecord record;
  record.source_id = file.relative;
  record.encoding = SniffImageFormat(bytes->data(), bytes->size()) == ImageFileFormat::kPng
                        ? ImageEncoding::kPng
                        : ImageEncoding::kJpeg;
  record.height = image->height;
  record.width = image->width;
  record.bytes = std::move(*bytes);
  return {std::move(record), ""};
}

// Validates files[begin, end) on `threads` threads; results keep the input order.
std::vector<Validated> ValidateBatch(const std::vector<Candidate>& files, size_t begin, size_t end,
                                     int64_t threads) {
  std::vector<Validated> results(end - begin);
  std::atomic<size_t> next{begin};
  auto work = [&] {
    for (size_t i = next++; i < end; i = next++) results[i - begin] = ValidateFile(files[i]);
  };
  std::vector<std::thread> pool;
  const size_t helpers = std::min<size_t>(static_cast<size_t>(threads), end - begin) - 1;
  for (size_t t = 0; t < helpers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return results;
}

absl::Status CheckOptions(const PackImagesOptions& options) {
  if (options.shard_size <= 0 || options.threads <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pack images: shard_size (", options.shard_size, ") and threads (", options.threads,
        ") must be positive"));
  }
  std::error_code ec;
  if (!fs::is_directory(options.in_dir, ec)) {
    return absl::NotFoundError(absl::StrCat("input folder '", options.in_dir,
                                            "' does not exist or is not a folder"));
  }
  return absl::OkStatus();
}

// Refuses to mix a new pack with old shards: the stream would read both.
absl::Status PrepareOutput(const std::string& out_dir) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create output folder '", out_dir, "': ", ec.message()));
  }
  for (const auto& entry : fs::directory_iterator(out_dir, ec)) {
    if (entry.path().extension() == ".h5") {
      return absl::AlreadyExistsError(absl::StrCat(
          "output folder '", out_dir, "' already holds shards (", entry.path().filename().string(),
          "); pack into an empty folder or delete them first"));
    }
  }
  return absl::OkStatus();
}

std::string ReportText(const PackImagesOptions& options, const PackReport& report,
                       int64_t ignored) {
  std::string text = absl::StrCat("tetra-data pack images\nin: ", options.in_dir,
                                  "\nout: ", options.out_dir, "\npacked: ", report.packed,
                                  "\nshards: ", report.shards, "\nshard_size: ",
                                  options.shard_size, "\nskipped: ", report.skipped.size(),
                                  "\nignored_non_image_files: ", ignored, "\n");
  if (!report.skipped.empty()) absl::StrAppend(&text, absl::StrJoin(report.skipped, "\n"), "\n");
  return text;
}

}  // namespace

absl::StatusOr<PackReport> PackImages(const PackImagesOptions& options) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  absl::StatusOr<Scan> scan = FindImages(options.in_dir);
  if (!scan.ok()) return scan.status();
  if (scan->images.empty()) {
    return absl::NotFoundError(absl::StrCat("input folder '", options.in_dir,
                                            "' holds no .png/.jpg/.jpeg files"));
  }
  if (absl::Status s = PrepareOutput(options.out_dir); !s.ok()) return s;
  PackReport report;
  ShardSequence shards(options.out_dir, options.shard_size);
  const std::vector<Candidate>& files = scan->images;
  for (size_t begin = 0; begin < files.size(); begin += kBatchFiles) {
    const size_t end = std::min(files.size(), begin + kBatchFiles);
    for (Validated& v : ValidateBatch(files, begin, end, options.threads)) {
      if (!v.record) {
        report.skipped.push_back(std::move(v.skipped));
        continue;
      }
      if (absl::Status s = shards.Add(*v.record); !s.ok()) return s;
      ++report.packed;
    }
  }
  if (absl::Status s = shards.Close(); !s.ok()) return s;
  report.shards = shards.shards();
  if (report.packed == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input folder '", options.in_dir, "': none of its ", files.size(),
        " image files could be decoded, e.g. ", report.skipped.front()));
  }
  const std::string report_path = (fs::path(options.out_dir) / "pack_report.txt").string();
  if (absl::Status s = WriteFileAtomically(report_path, ReportText(options, report, scan->ignored));
      !s.ok()) {
    return s;
  }
  return report;
}

}  // namespace tetra::data
