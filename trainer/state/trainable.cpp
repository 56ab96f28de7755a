#include "trainer/state/trainable.h"

namespace tetra::trainer {

const std::vector<std::string>& freezable_parts() {
  static const std::vector<std::string> parts = {"encoder", "bottleneck", "decoder", "pooling", "siglip"};
  return parts;
}

std::string part_of(const std::string& name) {
  // "model.<part>.<...>" for the tokenizer's modules, "siglip.<...>" for the loss's pair
  const std::string rest = name.rfind("model.", 0) == 0 ? name.substr(6) : name;
  const std::string part = rest.substr(0, rest.find('.'));
  for (const auto& p : freezable_parts())
    if (p == part) return p;
  return "";
}

}  // namespace tetra::trainer
