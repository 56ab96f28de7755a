#include "model/options.h"

#include <c10/util/Exception.h>

namespace tetra::model {

std::vector<std::string> preset_names() { return {"tiny", "small", "base", "so400m"}; }

bool apply_preset(const std::string& name, TokenizerOptions* o) {
  auto set = [&](int64_t width, int64_t depth, int64_t heads, int64_t mlp) {
    o->preset = name;
    o->width = width;
    o->depth = depth;
    o->heads = heads;
    o->mlp_hidden = mlp;
    return true;
  };
  if (name == "tiny") return set(64, 1, 2, 128);
  if (name == "small") return set(192, 2, 4, 512);
  if (name == "base") return set(768, 12, 12, 3072);
  if (name == "so400m") return set(1152, 27, 16, 4304);
  return false;
}

TokenizerOptions TokenizerOptions::resolved() const {
  TokenizerOptions sizes;
  TORCH_CHECK(apply_preset(preset, &sizes), "unknown model preset '", preset, "'");
  TokenizerOptions r = *this;
  if (r.width == 0) r.width = sizes.width;
  if (r.depth == 0) r.depth = sizes.depth;
  if (r.heads == 0) r.heads = sizes.heads;
  if (r.mlp_hidden == 0) r.mlp_hidden = sizes.mlp_hidden;
  return r;
}

}  // namespace tetra::model
