#include "data/modality.h"

namespace tetra::data {

const char* modality_disk_name(Modality m) {
  switch (m) {
    case Modality::kImage:
      return "image";
    case Modality::kVideo:
      return "video";
    case Modality::k3d:
      return "mesh";  // on-disk name of the 3d modality (docs/data-format.md)
  }
  return "unknown";
}

const char* modality_group(Modality m) {
  switch (m) {
    case Modality::kImage:
      return "images";
    case Modality::kVideo:
      return "videos";
    case Modality::k3d:
      return "meshes";  // on-disk group of the 3d modality (docs/data-format.md)
  }
  return "unknown";
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
