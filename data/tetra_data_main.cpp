// tetra-data: pack folders of images, videos and meshes into shards, attach captions, inspect shards.
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "data/pack/cli_flags.h"
#include "data/shards/inspect.h"
#include "data/loader/loader.h"
#include "data/pack/pack.h"
#include "data/embedded/hashed_text_encoder.h"
#include "data/pack/captions.h"
#include "data/pack/meshes.h"
#include "data/pack/videos.h"
#include "data/text/torchscript_text_encoder.h"

namespace tetra::data {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  tetra-data pack images --in DIR --out OUT [--shard-size N] [--threads N] [--resume]\n"
    "      Packs every .png/.jpg/.jpeg under DIR (recursively) into OUT/shard-00000.h5, ...\n"
    "  tetra-data pack videos --in DIR --out OUT [--fps F] [--max-side N] [--max-frames N]\n"
    "                         [--frames jpeg|png|raw] [--quality Q] [--shard-size N] [--threads N]\n"
    "                         [--resume]\n"
    "      Decodes every video under DIR (mp4, mov, avi, mkv, webm, ...), resamples it to F fps\n"
    "      (default: the clip's own rate) and stores each frame as its own JPEG (default q 95).\n"
    "  tetra-data pack meshes --in DIR --out OUT [--views V] [--resolution R] [--radius D]\n"
    "                         [--fov DEG] [--shard-size N] [--threads N] [--resume]\n"
    "      Imports every mesh under DIR (obj, ply, off, gltf, glb, 3ds, stl, fbx, dae), renders V\n"
    "      views (default 16 at 256x256) on the CPU and stores the occupied 64^3 voxels with their\n"
    "      nearest-view 16x16 patch features, plus the views and cameras.\n"
    "  tetra-data pack captions --manifest FILE.csv|FILE.jsonl --shards OUT\n"
    "                           [--encoder FILE.pt|hashed:W] [--batch N]\n"
    "      Attaches captions (manifest columns path, caption; path = the sample's source_id) to\n"
    "      the shards in OUT and, with a TorchScript text encoder from\n"
    "      scripts/export_text_encoder.py, their fp16 text embeddings. --encoder hashed:W uses\n"
    "      the built-in hashed bag-of-words encoder (W wide, default 64; for tests, not semantic).\n"
    "  Unreadable files are skipped and listed in OUT/pack_report.txt; --resume continues an\n"
    "  interrupted pack of the same inputs and settings.\n"
    "  tetra-data stream images|videos|meshes --in OUT [--batches N] [--max-tokens T]\n"
    "                    [--min-side N] [--max-side N] [--window F] [--threads N] [--seed S]\n"
    "                    [--rank R --world W] [--cursor 'epoch=... '] [--eval]\n"
    "      Runs the training loader over packed shards and prints one line per batch (samples,\n"
    "      tokens, first source id, the cursor that resumes after it).\n"
    "  tetra-data inspect FILE.h5\n"
    "      Prints a shard's attributes, sample count and first samples.\n";

constexpr int kUsageExit = 2;

int usage_error(const std::string& message) {
  std::cerr << "tetra-data: " << message << "\n\n" << kUsage;
  return kUsageExit;
}

int failed(const absl::Status& status) {
  std::cerr << "tetra-data: " << status.message() << "\n";
  return 1;
}

int summarise(const absl::StatusOr<PackReport>& report, const std::string& noun,
              const std::string& out_dir) {
  if (!report.ok()) return failed(report.status());
  std::cout << "packed " << report->packed << " " << noun << " into " << report->shards
            << " shards, " << report->skipped.size() << " skipped (see " << out_dir
            << "/pack_report.txt)\n";
  return 0;
}

const std::set<std::string> kCommonFlags = {"--in", "--out", "--shard-size", "--threads"};

absl::Status parse_common(const CliFlags& flags, PackFolderOptions* o) {
  absl::Status s = flags.required("--in", &o->in_dir);
  if (s.ok()) s = flags.required("--out", &o->out_dir);
  if (s.ok()) s = flags.positive("--shard-size", &o->shard_size);
  if (s.ok()) s = flags.positive("--threads", &o->threads);
  o->resume = flags.has("--resume");
  return s;
}

int pack_images_command(const std::vector<std::string>& args) {
  CliFlags flags;
  PackImagesOptions o;
  absl::Status s = flags.parse(args, kCommonFlags, {"--resume"});
  if (s.ok()) s = parse_common(flags, &o);
  if (!s.ok()) return usage_error(std::string(s.message()));
  return summarise(pack_images(o), "images", o.out_dir);
}

absl::Status parse_frame_encoding(const CliFlags& flags, PackVideosOptions* o) {
  const std::string frames = flags.text("--frames", "jpeg");
  if (frames == "jpeg") {
    o->frame_encoding = ImageEncoding::kJpeg;
  } else if (frames == "png") {
    o->frame_encoding = ImageEncoding::kPng;
  } else if (frames == "raw") {
    o->frame_encoding = ImageEncoding::kRawRgb8;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--frames expects jpeg, png or raw, got '", frames, "'"));
  }
  int64_t quality = o->jpeg_quality;
  if (absl::Status s = flags.positive("--quality", &quality); !s.ok()) return s;
  o->jpeg_quality = static_cast<int>(quality);
  return absl::OkStatus();
}

int pack_videos_command(const std::vector<std::string>& args) {
  CliFlags flags;
  PackVideosOptions o;
  std::set<std::string> known = kCommonFlags;
  known.insert({"--fps", "--max-side", "--max-frames", "--frames", "--quality"});
  absl::Status s = flags.parse(args, known, {"--resume"});
  if (s.ok()) s = parse_common(flags, &o);
  if (s.ok()) s = flags.non_negative("--fps", &o.fps);
  if (s.ok()) s = flags.non_negative("--max-side", &o.max_side);
  if (s.ok()) s = flags.non_negative("--max-frames", &o.max_frames);
  if (s.ok()) s = parse_frame_encoding(flags, &o);
  if (!s.ok()) return usage_error(std::string(s.message()));
  return summarise(pack_videos(o), "videos", o.out_dir);
}

int pack_meshes_command(const std::vector<std::string>& args) {
  CliFlags flags;
  PackMeshesOptions o;
  std::set<std::string> known = kCommonFlags;
  known.insert({"--views", "--resolution", "--radius", "--fov"});
  absl::Status s = flags.parse(args, known, {"--resume"});
  if (s.ok()) s = parse_common(flags, &o);
  if (s.ok()) s = flags.positive("--views", &o.views);
  if (s.ok()) s = flags.positive("--resolution", &o.resolution);
  double radius = o.radius, fov = o.fov_degrees;
  if (s.ok()) s = flags.non_negative("--radius", &radius);
  if (s.ok()) s = flags.non_negative("--fov", &fov);
  if (!s.ok()) return usage_error(std::string(s.message()));
  o.radius = static_cast<float>(radius);
  o.fov_degrees = static_cast<float>(fov);
  return summarise(pack_meshes(o), "meshes", o.out_dir);
}

int pack_captions_command(const std::vector<std::string>& args) {
  CliFlags flags;
  PackCaptionsOptions o;
  std::string encoder_path;
  absl::Status s = flags.parse(args, {"--manifest", "--shards", "--encoder", "--batch"}, {});
  if (s.ok()) s = flags.required("--manifest", &o.manifest);
  if (s.ok()) s = flags.required("--shards", &o.shards_dir);
  if (s.ok()) s = flags.positive("--batch", &o.batch);
  if (!s.ok()) return usage_error(std::string(s.message()));
  std::unique_ptr<TextEncoder> encoder;
  if (flags.has("--encoder")) {
    const std::string spec = flags.text("--encoder");
    absl::StatusOr<std::unique_ptr<TextEncoder>> loaded =
        is_hashed_text_encoder_spec(spec) ? make_hashed_text_encoder(spec) : load_torchscript_text_encoder(spec);
    if (!loaded.ok()) return failed(loaded.status());
    encoder = std::move(*loaded);
  }
  absl::StatusOr<CaptionReport> report = pack_captions(o, encoder.get());
  if (!report.ok()) return failed(report.status());
  std::cout << "captioned " << report->captioned << " of " << report->samples << " samples in "
            << report->shards << " shards"
            << (encoder ? absl::StrCat(", ", report->embedding_width, "-wide embeddings")
                        : std::string())
            << ", " << report->unmatched.size() << " manifest paths unmatched (see "
            << o.shards_dir << "/captions_report.txt)\n";
  return 0;
}

int run_pack(const std::vector<std::string>& args) {
  if (args.empty()) return usage_error("`pack` needs what to pack: images, videos, meshes or captions");
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "images") return pack_images_command(rest);
  if (args[0] == "videos") return pack_videos_command(rest);
  if (args[0] == "meshes") return pack_meshes_command(rest);
  if (args[0] == "captions") return pack_captions_command(rest);
  return usage_error(
      absl::StrCat("cannot pack '", args[0], "': use images, videos, meshes or captions"));
}

absl::Status parse_stream_options(const CliFlags& flags, LoaderOptions* o, int64_t* batches) {
  int64_t seed = 0, min_side = o->resolution.min_side, max_side = o->resolution.max_side;
  absl::Status s = flags.required("--in", &o->path);
  if (s.ok()) s = flags.positive("--batches", batches);
  if (s.ok()) s = flags.positive("--max-tokens", &o->max_tokens);
  if (s.ok()) s = flags.positive("--min-side", &min_side);
  if (s.ok()) s = flags.positive("--max-side", &max_side);
  if (s.ok()) s = flags.positive("--window", &o->window.frames);
  if (s.ok()) s = flags.positive("--threads", &o->threads);
  if (s.ok()) s = flags.non_negative("--seed", &seed);
  if (s.ok()) s = flags.non_negative("--rank", &o->rank);
  if (s.ok()) s = flags.positive("--world", &o->world);
  o->seed = static_cast<uint64_t>(seed);
  o->resolution.min_side = min_side;
  o->resolution.max_side = max_side;
  o->train = !flags.has("--eval");
  o->shuffle = o->train;
  return s;
}

int run_stream(const std::vector<std::string>& args) {
  LoaderOptions o;
  const std::string kind = args.empty() ? "" : args[0];
  if (kind == "images") {
    o.modality = Modality::kImage;
  } else if (kind == "videos") {
    o.modality = Modality::kVideo;
  } else if (kind == "meshes") {
    o.modality = Modality::k3d;
  } else {
    return usage_error("`stream` needs a modality: images, videos or meshes");
  }
  CliFlags flags;
  int64_t batches = 4;
  absl::Status s = flags.parse(
      std::vector<std::string>(args.begin() + 1, args.end()),
      {"--in", "--batches", "--max-tokens", "--min-side", "--max-side", "--window", "--threads",
       "--seed", "--rank", "--world", "--cursor"},
      {"--eval"});
  if (s.ok()) s = parse_stream_options(flags, &o, &batches);
  if (!s.ok()) return usage_error(std::string(s.message()));
  LoaderCursor start;
  if (flags.has("--cursor")) {
    absl::StatusOr<LoaderCursor> parsed = parse_cursor(flags.text("--cursor"));
    if (!parsed.ok()) return failed(parsed.status());
    start = *parsed;
  }
  absl::StatusOr<std::unique_ptr<Loader>> loader = Loader::create(o, start);
  if (!loader.ok()) return failed(loader.status());
  for (int64_t b = 0; b < batches; ++b) {
    absl::StatusOr<Batch> batch = (*loader)->next();
    if (!batch.ok()) return failed(batch.status());
    const Sample& first = batch->samples.front();
    double sum = 0;  // a fingerprint of every token value: equal lines mean equal batches
    for (float v : batch->features) sum += v;
    std::cout << "batch " << b << ": " << batch->samples.size() << " samples, " << batch->num_tokens
              << " tokens, first " << first.source_id << " (" << first.frames << "x"
              << first.height << "x" << first.width << ", grid " << first.grid.t << "x"
              << first.grid.h << "x" << first.grid.w << ")"
              << (first.frames > 1 ? absl::StrCat(" window ", first.window_start, "+",
                                                  first.window_stride, "k")
                                   : std::string())
              << (first.caption.empty() ? "" : absl::StrCat(" \"", first.caption, "\""))
              << " features-sum " << absl::StrFormat("%.4f", sum) << " | next " << format_cursor(batch->next) << "\n";
  }
  const LoaderStats stats = (*loader)->stats();
  std::cout << "delivered " << stats.delivered << " samples, skipped " << stats.skipped_corrupt
            << " corrupt samples and " << stats.skipped_shards << " shards, " << stats.oversized
            << " over the token budget\n";
  return 0;
}

int run_inspect(const std::vector<std::string>& args) {
  if (args.size() != 1) return usage_error("`inspect` takes exactly one shard file");
  absl::StatusOr<std::string> text = describe_shard(args[0]);
  if (!text.ok()) return failed(text.status());
  std::cout << *text;
  return 0;
}

int run_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage_error("missing command");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "pack") return run_pack(args);
  if (command == "inspect") return run_inspect(args);
  if (command == "stream") return run_stream(args);
  return usage_error(absl::StrCat("unknown command '", command, "'"));
}

}  // namespace
}  // namespace tetra::data

int main(int argc, char** argv) { return tetra::data::run_main(argc, argv); }
