// Model sizes and shapes (SPEC section 2), and the `model:` section of the training config: the
// struct lists its keys once in visit() (the visitors live in trainer/config.cpp, the bounds in
// common/config_fields.h), so the trainer parses, validates, writes and documents it directly.
// Sizes left 0 come from the preset; resolved() fills them, and the Tokenizer resolves its options.
// Torch-free, so that the config can be read without LibTorch types.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/config_fields.h"
#include "common/patch.h"

namespace tetra::model {

using common::PatchSize;

// Finite scalar quantisation of the latent (model/fsq.h): `groups` x `dims_per_group` channels.
struct FsqOptions {
  int64_t groups = 8;
  int64_t dims_per_group = 6;
  int64_t levels = 4;
  int64_t channels() const { return groups * dims_per_group; }
  int64_t codebook_size() const;  // levels ^ dims_per_group
};

// "tiny" (CPU tests), "small" (CPU smoke/debug), "base", "so400m".
std::vector<std::string> preset_names();

struct TokenizerOptions {
  std::string preset = "tiny";
  int64_t width = 0;           // 0: take from the preset
  int64_t depth = 0;           // blocks in the encoder, and again in the decoder (0: preset)
  int64_t heads = 0;           // 0: preset
  int64_t mlp_hidden = 0;      // 0: preset
  int64_t latent_channels = 32;
  int64_t embed_dim = 0;       // pooled embedding width (the text encoder's); 0: width
  int64_t position_grid = 16;  // learned 2D position table is grid x grid
  PatchSize patch;             // square: the one key patch_size sets h and w
  double rope_base = 10000.0;
  bool sample_latent = true;   // training decodes a sample of the latent (ForwardOptions::sample_latent)
  FsqOptions fsq;              // its channels must equal latent_channels when discrete
  bool discrete = false;       // not a key (a stage's): FSQ on the latent mean instead of sampling

  // A copy with every size that is 0 taken from `preset` (which must be one of preset_names()).
  TokenizerOptions resolved() const;

  template <class V> void visit(V& v) {
    using common::Choices;
    using common::IntRange;
    using common::RealRange;
    v.field("preset", preset, Choices{preset_names()}, "size preset (SPEC section 2)");
    v.field("width", width, IntRange{0, 16384}, "token width d (0: preset)");
    v.field("depth", depth, IntRange{0, 256}, "blocks in encoder and decoder (0: preset)");
    v.field("heads", heads, IntRange{0, 256}, "attention heads (0: preset)");
    v.field("mlp_hidden", mlp_hidden, IntRange{0, 65536}, "MLP hidden width (0: preset)");
    v.field("latent_channels", latent_channels, IntRange{1, 4096},
            "latent channels c per token at the start (a stage may widen it)");
    v.field("embed_dim", embed_dim, IntRange{0, 65536},
            "pooled embedding width = the text embeddings' width (0: width d, no projection)");
    v.field("position_grid", position_grid, IntRange{1, 256}, "learned 2D position table side");
    v.field("patch_time", patch.t, IntRange{1, 64}, "temporal patch size (frames)");
    v.field("patch_size", patch.h, IntRange{1, 256}, "spatial patch size (pixels)");
    patch.w = patch.h;  // after reading: patches are square
    v.field("rope_base", rope_base, RealRange{1.0, 1e9}, "4D RoPE frequency base");
    v.field("sample_latent", sample_latent,
            "training decodes z = mu + sigma * eps (false: decodes mu, a deterministic autoencoder)");
    v.field("fsq_groups", fsq.groups, IntRange{1, 1024}, "FSQ (discrete stages): channel groups, one index each");
    v.field("fsq_dims", fsq.dims_per_group, IntRange{1, 16}, "FSQ: channels per group (groups x dims = latent channels)");
    v.field("fsq_levels", fsq.levels, IntRange{2, 64}, "FSQ: levels per channel (codebook = levels^dims per group)");
  }
};

// Sets the preset's width, depth, heads and mlp_hidden (and `preset`); false for an unknown name.
bool apply_preset(const std::string& name, TokenizerOptions* options);

}  // namespace tetra::model
