#include "data/shards/modality.h"

namespace tetra::data {

// The on-disk names are the common names except for 3d (docs/data-format.md is the contract).
const char* modality_disk_name(Modality m) { return m == Modality::k3d ? "mesh" : common::modality_name(m); }

const char* modality_group(Modality m) {
  static constexpr const char* kGroups[] = {"images", "videos", "meshes"};  // in enum order
  return kGroups[static_cast<int>(m)];
}

bool parse_modality_disk_name(std::string_view name, Modality* out) {
  for (Modality m : common::kAllModalities) {
    if (name == modality_disk_name(m)) {
      *out = m;
      return true;
    }
  }
  return false;
}

}  // namespace tetra::data
