// tetra-data: pack image folders into shards and inspect shards.
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "data/pack.h"
#include "data/shard.h"

namespace tetra::data {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  tetra-data pack images --in DIR --out OUT [--shard-size N] [--threads N]\n"
    "      Packs every .png/.jpg/.jpeg under DIR (recursively) into OUT/shard-00000.h5, ...\n"
    "      Unreadable files are skipped and listed in OUT/pack_report.txt.\n"
    "  tetra-data inspect FILE.h5\n"
    "      Prints a shard's attributes, sample count and first samples.\n";

constexpr int kUsageExit = 2;

int UsageError(const std::string& message) {
  std::cerr << "tetra-data: " << message << "\n\n" << kUsage;
  return kUsageExit;
}

// "--name value" or "--name=value" pairs; anything else is an error naming the argument.
absl::Status ParseFlags(const std::vector<std::string>& args,
                        std::map<std::string, std::string>* flags) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      (*flags)[arg.substr(0, eq)] = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      (*flags)[arg] = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("flag ", arg, " needs a value"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParsePositive(const std::string& flag, const std::string& text, int64_t* out) {
  if (!absl::SimpleAtoi(text, out) || *out <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " expects a positive integer, got '", text, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<PackImagesOptions> ParsePackOptions(const std::vector<std::string>& args) {
  std::map<std::string, std::string> flags;
  if (absl::Status s = ParseFlags(args, &flags); !s.ok()) return s;
  PackImagesOptions options;
  for (const auto& [flag, value] : flags) {
    absl::Status s;
    if (flag == "--in") {
      options.in_dir = value;
    } else if (flag == "--out") {
      options.out_dir = value;
    } else if (flag == "--shard-size") {
      s = ParsePositive(flag, value, &options.shard_size);
    } else if (flag == "--threads") {
      s = ParsePositive(flag, value, &options.threads);
    } else {
      s = absl::InvalidArgumentError(absl::StrCat("unknown flag ", flag, " for `pack images`"));
    }
    if (!s.ok()) return s;
  }
  if (options.in_dir.empty()) return absl::InvalidArgumentError("missing required flag --in");
  if (options.out_dir.empty()) return absl::InvalidArgumentError("missing required flag --out");
  return options;
}

int RunPack(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "images") {
    return UsageError(args.empty() ? "`pack` needs a modality: `pack images`"
                                   : absl::StrCat("cannot pack '", args[0],
                                                  "': only `pack images` exists"));
  }
  absl::StatusOr<PackImagesOptions> options =
      ParsePackOptions(std::vector<std::string>(args.begin() + 1, args.end()));
  if (!options.ok()) return UsageError(std::string(options.status().message()));
  absl::StatusOr<PackReport> report = PackImages(*options);
  if (!report.ok()) {
    std::cerr << "tetra-data: " << report.status().message() << "\n";
    return 1;
  }
  std::cout << "packed " << report->packed << " images into " << report->shards << " shards, "
            << report->skipped.size() << " skipped (see " << options->out_dir
            << "/pack_report.txt)\n";
  return 0;
}

const char* EncodingName(ImageEncoding encoding) {
  switch (encoding) {
    case ImageEncoding::kRawRgb8:
      return "raw-rgb8";
    case ImageEncoding::kPng:
      return "png";
    case ImageEncoding::kJpeg:
      return "jpeg";
  }
  return "unknown";
}

int RunInspect(const std::vector<std::string>& args) {
  if (args.size() != 1) return UsageError("`inspect` takes exactly one shard file");
  absl::StatusOr<std::unique_ptr<ImageShardReader>> reader = ImageShardReader::Open(args[0]);
  if (!reader.ok()) {
    std::cerr << "tetra-data: " << reader.status().message() << "\n";
    return 1;
  }
  constexpr int64_t kShown = 5;
  const ImageShardReader& shard = **reader;
  std::cout << "shard: " << shard.path() << "\n"
            << "format: tetra-shard\n"
            << "format_version: " << shard.format_version() << "\n"
            << "modality: image\n"
            << "num_samples: " << shard.size() << "\n";
  for (int64_t i = 0; i < std::min(kShown, shard.size()); ++i) {
    absl::StatusOr<ImageRecord> record = shard.Read(i);
    if (!record.ok()) {
      std::cerr << "tetra-data: " << record.status().message() << "\n";
      return 1;
    }
    std::cout << "  [" << i << "] " << record->source_id << "  " << record->height << "x"
              << record->width << "  " << EncodingName(record->encoding) << "  "
              << record->bytes.size() << " bytes\n";
  }
  if (shard.size() > kShown) std::cout << "  ... " << shard.size() - kShown << " more\n";
  return 0;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return UsageError("missing command");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "pack") return RunPack(args);
  if (command == "inspect") return RunInspect(args);
  return UsageError(absl::StrCat("unknown command '", command, "'"));
}

}  // namespace
}  // namespace tetra::data

int main(int argc, char** argv) { return tetra::data::Main(argc, argv); }
