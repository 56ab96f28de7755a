#include "common/modality.h"

namespace tetra::common {

const char* modality_name(Modality m) {
  switch (m) {
    case Modality::kImage:
      return "image";
    case Modality::kVideo:
      return "video";
    case Modality::k3d:
      return "3d";
  }
  return "unknown";
}

std::optional<Modality> parse_modality(std::string_view name) {
  for (Modality m : kAllModalities)
    if (name == modality_name(m)) return m;
  return std::nullopt;
}

}  // namespace tetra::common
