#include "model/options.h"

namespace tetra::model {

std::vector<std::string> preset_names() { return {"tiny", "small", "base", "so400m"}; }

bool apply_preset(const std::string& name, TokenizerOptions* o) {
  auto set = [&](int64_t width, int64_t depth, int64_t heads, int64_t mlp) {
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

}  // namespace tetra::model
