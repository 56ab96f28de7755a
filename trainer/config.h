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
#include "losses/config_fields.h"
#include "losses/loss_options.h"

namespace tetra::trainer {

// Bounds and choices that visit() attaches to a field (defined below the trainer, in losses/, so
// that the loss options can describe their own keys).
using losses::Choices;
using losses::IntRange;
using losses::RealRange;

struct RunConfig {
  std::string name = "run";
  std::string out_dir = "runs";     // the run directory is out_dir/name
  int64_t seed = 0;
  int64_t steps = 1000;
  int64_t log_every = 10;
  int64_t eval_every = 100;         // 0: evaluate only at the start and the end
  int64_t checkpoint_every = 100;   // 0: only at the end
  int64_t keep_checkpoints = 3;
  int64_t threads = 0;              // torch intra-op threads; 0: all cores
  std::string device = "cpu";

  template <class V> void visit(V& v) {
    v.field("name", name, "run name; the run directory is out_dir/name");
    v.field("out_dir", out_dir, "parent folder of run directories");
    v.field("seed", seed, IntRange{0, INT64_MAX}, "seeds model init, data order and latent noise");
    v.field("steps", steps, IntRange{1, INT64_MAX}, "optimizer steps in total");
    v.field("log_every", log_every, IntRange{1, INT64_MAX}, "steps between log lines");
    v.field("eval_every", eval_every, IntRange{0, INT64_MAX}, "steps between held-out evaluations");
    v.field("checkpoint_every", checkpoint_every, IntRange{0, INT64_MAX}, "steps between checkpoints");
    v.field("keep_checkpoints", keep_checkpoints, IntRange{1, 1000}, "newest checkpoints kept");
    v.field("threads", threads, IntRange{0, 1024}, "CPU threads for torch (0: all cores)");
    v.field("device", device, Choices{{"cpu", "cuda"}}, "where the model runs");
  }
};

struct ModelConfig {
  std::string preset = "tiny";
  int64_t width = 0;                // 0: take from the preset
  int64_t depth = 0;
  int64_t heads = 0;
  int64_t mlp_hidden = 0;
  int64_t latent_channels = 32;
  int64_t position_grid = 16;
  int64_t patch_time = 4;
  int64_t patch_size = 16;
  double rope_base = 10000.0;
  bool sample_latent = true;

  template <class V> void visit(V& v) {
    v.field("preset", preset, Choices{{"tiny", "small", "base", "so400m"}}, "size preset (SPEC section 2)");
    v.field("width", width, IntRange{0, 16384}, "token width d (0: preset)");
    v.field("depth", depth, IntRange{0, 256}, "blocks in encoder and decoder (0: preset)");
    v.field("heads", heads, IntRange{0, 256}, "attention heads (0: preset)");
    v.field("mlp_hidden", mlp_hidden, IntRange{0, 65536}, "MLP hidden width (0: preset)");
    v.field("latent_channels", latent_channels, IntRange{1, 4096}, "latent channels c per token");
    v.field("position_grid", position_grid, IntRange{1, 256}, "learned 2D position table side");
    v.field("patch_time", patch_time, IntRange{1, 64}, "temporal patch size (frames)");
    v.field("patch_size", patch_size, IntRange{1, 256}, "spatial patch size (pixels)");
    v.field("rope_base", rope_base, RealRange{1.0, 1e9}, "4D RoPE frequency base");
    v.field("sample_latent", sample_latent,
            "training decodes z = mu + sigma * eps (false: decodes mu, a deterministic autoencoder)");
  }
};

struct DataConfig {
  std::string source = "embedded";  // "embedded": generated on first run; "shards": packed folders
  std::string train_path;           // shards: folder of *.h5; embedded: where to generate them
  std::string heldout_path;         // shards: folder of held-out *.h5 (optional)
  int64_t batch_size = 16;          // images per optimizer step, over all data-parallel ranks
  int64_t micro_batch_size = 0;     // images per forward/backward on one rank; 0: batch_size / ranks
  int64_t min_side = 64;
  int64_t max_side = 512;
  int64_t prefetch = 64;
  bool shuffle = true;
  int64_t heldout_samples = 32;     // images scored at each evaluation
  int64_t embedded_train = 512;
  int64_t embedded_heldout = 64;
  int64_t embedded_min_side = 48;
  int64_t embedded_max_side = 96;

  template <class V> void visit(V& v) {
    v.field("source", source, Choices{{"embedded", "shards"}}, "where samples come from");
    v.field("train_path", train_path, "training shards folder (embedded: generated there)");
    v.field("heldout_path", heldout_path, "held-out shards folder (empty: no held-out eval for shards)");
    v.field("batch_size", batch_size, IntRange{1, 1 << 20}, "images per optimizer step, summed over all ranks");
    v.field("micro_batch_size", micro_batch_size, IntRange{0, 1 << 20},
            "images per forward/backward on one rank (0: batch_size / ranks); smaller accumulates gradients");
    v.field("min_side", min_side, IntRange{1, 1 << 16}, "resize up when a side is shorter");
    v.field("max_side", max_side, IntRange{1, 1 << 16}, "resize down when a side is longer");
    v.field("prefetch", prefetch, IntRange{1, 1 << 20}, "decoded samples queued ahead");
    v.field("shuffle", shuffle, "shuffle sample order per epoch");
    v.field("heldout_samples", heldout_samples, IntRange{0, 1 << 20}, "held-out images per evaluation");
    v.field("embedded_train", embedded_train, IntRange{1, 1 << 20}, "embedded dataset: training images");
    v.field("embedded_heldout", embedded_heldout, IntRange{1, 1 << 20}, "embedded dataset: held-out images");
    v.field("embedded_min_side", embedded_min_side, IntRange{16, 4096}, "embedded dataset: smallest side");
    v.field("embedded_max_side", embedded_max_side, IntRange{16, 4096}, "embedded dataset: largest side");
  }
};

struct OptimConfig {
  double lr = 3e-4;
  double min_lr = 3e-5;
  int64_t warmup_steps = 2000;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;
  double encoder_lr_multiplier = 0.1;
  double grad_clip = 1.0;           // 0: no clipping
  double ema_decay = 0.9999;

  template <class V> void visit(V& v) {
    v.field("lr", lr, RealRange{0.0, 1.0}, "peak learning rate after warm-up");
    v.field("min_lr", min_lr, RealRange{0.0, 1.0}, "learning rate at the end of cosine decay");
    v.field("warmup_steps", warmup_steps, IntRange{0, INT64_MAX}, "linear warm-up steps");
    v.field("beta1", beta1, RealRange{0.0, 0.999999}, "AdamW beta1");
    v.field("beta2", beta2, RealRange{0.0, 0.999999}, "AdamW beta2");
    v.field("eps", eps, RealRange{1e-12, 1e-2}, "AdamW epsilon");
    v.field("weight_decay", weight_decay, RealRange{0.0, 10.0}, "AdamW decoupled weight decay (matrices only)");
    v.field("encoder_lr_multiplier", encoder_lr_multiplier, RealRange{0.0, 10.0}, "encoder lr = lr * this");
    v.field("grad_clip", grad_clip, RealRange{0.0, 1e6}, "max global gradient norm (0: off)");
    v.field("ema_decay", ema_decay, RealRange{0.0, 1.0}, "EMA of weights: ema = d*ema + (1-d)*w");
  }
};

// The `loss:` section: every term of SPEC section 3, per modality (losses/loss_options.h).
using LossConfig = losses::LossOptions;

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

  template <class V> void visit(V& v) {
    v.section("run", run);
    v.section("model", model);
    v.section("data", data);
    v.section("optim", optim);
    v.section("loss", loss);
    v.section("parallel", parallel);
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
