// Model sizes and shapes. Presets follow SPEC section 2; every field can be overridden in the config.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/fsq.h"
#include "model/tokens.h"

namespace tetra::model {

struct TokenizerOptions {
  int64_t width = 1152;
  int64_t depth = 27;         // blocks in the encoder, and again in the decoder
  int64_t heads = 16;
  int64_t mlp_hidden = 4304;
  int64_t latent_channels = 32;
  int64_t embed_dim = 0;       // pooled embedding width (the text encoder's); 0: width
  int64_t position_grid = 16;  // learned 2D position table is grid x grid
  double rope_base = 10000.0;
  PatchSize patch;
  bool discrete = false;  // stage 4: FSQ on the latent mean instead of Gaussian sampling
  FsqOptions fsq;         // its channels must equal latent_channels when discrete
};

// "tiny" (CPU tests), "small" (CPU smoke/debug), "base", "so400m". Unknown name: empty options list.
std::vector<std::string> preset_names();
bool apply_preset(const std::string& name, TokenizerOptions* options);

}  // namespace tetra::model
