// The training configuration: typed structs with defaults, parsed once from YAML (plus --set
// overrides), validated strictly, then passed down by value. Nothing reads the YAML again.
//
// Each struct lists its fields exactly once, in visit(); the same list drives parsing, validation,
// writing the resolved config and the key reference in docs/configuration.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config_fields.h"
#include "losses/loss_options.h"
#include "model/options.h"

namespace tetra::trainer {

// Bounds and choices that visit() attaches to a field (defined in the base library, so that model
// and loss options can describe their own keys).
using common::Choices;
using common::IntRange;
using common::RealRange;

struct RunConfig {
  std::string name = "run";
  std::string out_dir = "runs";     // the run directory is out_dir/name
  int64_t seed = 0;
  int64_t log_every = 10;
  int64_t eval_every = 100;         // 0: evaluate only at stage starts and ends
  int64_t checkpoint_every = 100;   // 0: only at stage ends
  int64_t keep_checkpoints = 3;
  int64_t threads = 0;              // torch intra-op threads; 0: all cores
  std::string device = "cpu";
  std::string progress = "auto";
  bool tensorboard = true;
  int64_t grid_samples = 4;
  double peak_tflops = 0;
  std::string init_from;            // a checkpoint folder whose weights (and EMA) a fresh run starts from
  int64_t start_stage = 0;          // index of the first stage a fresh run trains

  template <class V> void visit(V& v) {
    v.field("name", name, "run name; the run directory is out_dir/name");
    v.field("out_dir", out_dir, "parent folder of run directories");
    v.field("seed", seed, IntRange{0, INT64_MAX}, "seeds model init, data order and latent noise");
    v.field("log_every", log_every, IntRange{1, INT64_MAX}, "steps between log lines and metrics records");
    v.field("eval_every", eval_every, IntRange{0, INT64_MAX},
            "steps between held-out evaluations (also at every stage's start and end)");
    v.field("checkpoint_every", checkpoint_every, IntRange{0, INT64_MAX},
            "steps between checkpoints (also at every stage's end)");
    v.field("keep_checkpoints", keep_checkpoints, IntRange{1, 1000}, "newest checkpoints kept");
    v.field("threads", threads, IntRange{0, 1024}, "CPU threads for torch (0: all cores)");
    v.field("device", device, Choices{{"cpu", "cuda"}}, "where the model runs");
    v.field("progress", progress, Choices{{"auto", "tty", "plain"}},
            "progress display: a redrawn status line on a terminal, log lines otherwise and under mpirun/srun (auto)");
    v.field("tensorboard", tensorboard, "write TensorBoard event files to <run dir>/tensorboard");
    v.field("grid_samples", grid_samples, IntRange{0, 64},
            "held-out samples per modality shown as input | reconstruction in TensorBoard at each evaluation");
    v.field("init_from", init_from,
            "fresh runs: start from this checkpoint's weights and EMA (any run's; optimizer state starts anew)");
    v.field("start_stage", start_stage, IntRange{0, 1024},
            "fresh runs: index of the first stage to train (e.g. 1 with init_from a stage-1 checkpoint)");
    v.field("peak_tflops", peak_tflops, RealRange{0.0, 1e6},
            "peak TFLOP/s of one device, for MFU = 6 x parameters x tokens/s / (ranks x peak) (0: no MFU)");
  }
};

// The `model:` section: the model's own options, which list their keys (model/options.h).
using ModelConfig = model::TokenizerOptions;

// Training and held-out shards of one modality (folders of *.h5 made by `tetra-data pack`).
struct ModalityPaths {
  std::string train;
  std::string heldout;
  template <class V> void visit(V& v) {
    v.field("train", train, "training shards folder (needed when a stage samples this modality)");
    v.field("heldout", heldout, "held-out shards folder (empty: this modality is not evaluated)");
  }
};

struct DataConfig {
  std::string source = "embedded";  // "embedded": generated on first run; "shards": packed folders
  std::string embedded_dir;         // embedded: where to generate (empty: <out_dir>/embedded-data)
  ModalityPaths image, video, m3d;  // m3d: the 3d modality (key "3d")
  int64_t threads = 2;
  int64_t prefetch = 32;
  int64_t shuffle_buffer = 512;
  bool shuffle = true;
  double downscale_probability = 0.0;
  int64_t video_frames = 16;
  int64_t video_min_stride = 1;
  int64_t video_max_stride = 3;
  int64_t heldout_samples = 32;     // per modality, scored at each evaluation
  int64_t heldout_max_tokens = 4096;

  template <class V> void visit(V& v) {
    v.field("source", source, Choices{{"embedded", "shards"}}, "where samples come from");
    v.field("embedded_dir", embedded_dir, "embedded: folder it is generated in (empty: <out_dir>/embedded-data)");
    v.section("image", image);
    v.section("video", video);
    v.section("3d", m3d);
    v.field("threads", threads, IntRange{1, 256}, "decode threads per task loader");
    v.field("prefetch", prefetch, IntRange{1, 1 << 20}, "decoded samples queued ahead, per task loader");
    v.field("shuffle_buffer", shuffle_buffer, IntRange{1, 1 << 24}, "seeded shuffle buffer, samples");
    v.field("shuffle", shuffle, "shuffle sample order per epoch");
    v.field("downscale_probability", downscale_probability, RealRange{0.0, 1.0},
            "chance of a random down-scale of a training image or video (SPEC 1)");
    v.field("video_frames", video_frames, IntRange{1, 4096}, "frames per video window (a multiple of model.patch_time)");
    v.field("video_min_stride", video_min_stride, IntRange{1, 64}, "smallest frame stride of a training window");
    v.field("video_max_stride", video_max_stride, IntRange{1, 64}, "largest frame stride of a training window");
    v.field("heldout_samples", heldout_samples, IntRange{0, 1 << 20}, "held-out samples per modality per evaluation");
    v.field("heldout_max_tokens", heldout_max_tokens, IntRange{1, 1 << 24}, "token budget of a held-out batch");
  }
};

// The learning-rate schedule: linear warm-up, then cosine decay, within each stage.
struct LrSchedule {
  double lr = 3e-4;
  double min_lr = 3e-5;
  int64_t warmup_steps = 2000;
  double encoder_lr_multiplier = 0.1;

  template <class V> void visit(V& v) {
    v.field("lr", lr, RealRange{0.0, 1.0}, "peak learning rate after warm-up");
    v.field("min_lr", min_lr, RealRange{0.0, 1.0}, "learning rate at the end of cosine decay");
    v.field("warmup_steps", warmup_steps, IntRange{0, INT64_MAX}, "linear warm-up steps");
    v.field("encoder_lr_multiplier", encoder_lr_multiplier, RealRange{0.0, 10.0},
            "encoder lr = lr * this (0 freezes the encoder)");
  }
};

struct OptimConfig {
  LrSchedule schedule;              // the default of every stage's `optim:`
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;
  double grad_clip = 1.0;           // 0: no clipping
  double ema_decay = 0.9999;

  template <class V> void visit(V& v) {
    schedule.visit(v);
    v.field("beta1", beta1, RealRange{0.0, 0.999999}, "AdamW beta1");
    v.field("beta2", beta2, RealRange{0.0, 0.999999}, "AdamW beta2");
    v.field("eps", eps, RealRange{1e-12, 1e-2}, "AdamW epsilon");
    v.field("weight_decay", weight_decay, RealRange{0.0, 10.0}, "AdamW decoupled weight decay (matrices only)");
    v.field("grad_clip", grad_clip, RealRange{0.0, 1e6}, "max global gradient norm (0: off)");
    v.field("ema_decay", ema_decay, RealRange{0.0, 1.0}, "EMA of weights: ema = d*ema + (1-d)*w, carried across stages");
  }
};

// The `loss:` section: every term of SPEC section 3, per modality (losses/loss_options.h).
using LossConfig = losses::LossOptions;

// One task of a stage's mix (SPEC 4): its share of the round-robin cycle (= its gradient-
// accumulation count relative to the others) and its batch, a token budget per rank.
struct TaskConfig {
  double share = 0;
  int64_t max_tokens = 4096;
  int64_t max_samples = 0;

  template <class V> void visit(V& v) {
    v.field("share", share, RealRange{0.0, 1e6}, "share of the stage's task cycle (0: task off)");
    v.field("max_tokens", max_tokens, IntRange{1, 1 << 24}, "token budget of one micro-batch on one rank");
    v.field("max_samples", max_samples, IntRange{0, 1 << 20}, "also stop a micro-batch at this many samples (0: no limit)");
  }
};

struct TaskMix {
  TaskConfig image_rec{1.0}, image_und, video_rec, video_und, m3d_rec, m3d_und;  // m3d: keys "3d_*"

  template <class V> void visit(V& v) {
    v.section("image_rec", image_rec);
    v.section("image_und", image_und);
    v.section("video_rec", video_rec);
    v.section("video_und", video_und);
    v.section("3d_rec", m3d_rec);
    v.section("3d_und", m3d_und);
  }
};

// One stage of the curriculum (SPEC 4). Its `optim:` and `loss:` start from the top-level optim
// schedule and loss section, so a stage lists only what it changes.
struct StageConfig {
  std::string name = "stage";
  int64_t steps = 1000;
  int64_t latent_channels = 0;      // 0: keep; larger: widen with zero rows/columns at the stage start
  bool discrete = false;
  std::string freeze;               // comma-separated parts kept fixed: encoder, bottleneck, decoder, pooling, siglip
  int64_t image_min_side = 64, image_max_side = 512;
  int64_t video_min_side = 64, video_max_side = 512;
  TaskMix tasks;
  LrSchedule optim;
  LossConfig loss;

  template <class V> void visit(V& v) {
    v.field("name", name, "stage name (logs, TensorBoard, checkpoints)");
    v.field("steps", steps, IntRange{1, INT64_MAX}, "optimizer steps (task cycles) in this stage");
    v.field("latent_channels", latent_channels, IntRange{0, 4096},
            "widen the latent to this many channels at the stage start (0: keep; SPEC: 48 from stage 2)");
    v.field("discrete", discrete, "FSQ bottleneck (model.fsq_*) instead of the Gaussian one (SPEC stage 4)");
    v.field("freeze", freeze,
            "comma-separated parts AdamW leaves untouched in this stage: encoder, bottleneck, decoder, pooling, siglip");
    v.field("image_min_side", image_min_side, IntRange{1, 1 << 16}, "images: resize up when a side is shorter");
    v.field("image_max_side", image_max_side, IntRange{1, 1 << 16}, "images: resize down when a side is longer");
    v.field("video_min_side", video_min_side, IntRange{1, 1 << 16}, "video frames: resize up when a side is shorter");
    v.field("video_max_side", video_max_side, IntRange{1, 1 << 16}, "video frames: resize down when a side is longer");
    v.section("tasks", tasks);
    v.section("optim", optim);
    v.section("loss", loss);
  }
};

// Data parallelism (docs/distributed.md). The world size comes from the launcher, not from here.
struct ParallelConfig {
  double bucket_mb = 25.0;
  double first_bucket_mb = 1.0;
  bool zero1 = false;
  bool overlap = true;
  double timeout_s = 600.0;

  template <class V> void visit(V& v) {
    v.field("bucket_mb", bucket_mb, RealRange{0.001, 4096.0}, "gradient bucket size in MiB (all-reduced as one)");
    v.field("first_bucket_mb", first_bucket_mb, RealRange{0.001, 4096.0},
            "size of the first bucket in MiB (small, so that communication starts early in backward)");
    v.field("zero1", zero1, "ZeRO-1: shard AdamW state across data-parallel ranks (reduce-scatter + all-gather)");
    v.field("overlap", overlap, "reduce buckets during backward (false: all after backward; for debugging)");
    v.field("timeout_s", timeout_s, RealRange{0.0, 1e7},
            "seconds a rank waits for one collective before aborting the job with a report (0: forever)");
  }
};

struct Config {
  RunConfig run;
  ModelConfig model;
  DataConfig data;
  OptimConfig optim;
  LossConfig loss;
  ParallelConfig parallel;
  std::vector<StageConfig> stages;  // run in order; absent in the YAML: one default stage

  // A stage before its YAML is read: the top-level schedule and losses (already read, since
  // visit() reads `optim` and `loss` before `stages`).
  StageConfig stage_defaults() const {
    StageConfig s;
    s.optim = optim.schedule;
    s.loss = loss;
    return s;
  }
  int64_t total_steps() const {
    int64_t n = 0;
    for (const auto& s : stages) n += s.steps;
    return n;
  }

  template <class V> void visit(V& v) {
    v.section("run", run);
    v.section("model", model);
    v.section("data", data);
    v.section("optim", optim);
    v.section("loss", loss);
    v.section("parallel", parallel);
    v.list("stages", stages, [this] { return stage_defaults(); });
  }
};

// Reads `path`, applies overrides ("a.b=value", each parsed as YAML), validates. Errors name the
// file, the key and the allowed values.
absl::StatusOr<Config> load_config(const std::string& path, const std::vector<std::string>& overrides);
absl::StatusOr<Config> parse_config(const std::string& yaml_text, const std::string& origin,
                                    const std::vector<std::string>& overrides);
// The resolved config as YAML (every key, defaults included).
std::string to_yaml(const Config& config);
// Markdown table of every key with its default, bounds and meaning.
std::string key_reference();
// One "section.key: value" line per key: what ranks compare to prove they run the same config.
std::string to_key_values(const Config& config);

}  // namespace tetra::trainer
