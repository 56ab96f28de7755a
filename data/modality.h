// The three sample kinds of SPEC section 1. One modality per shard file (its `modality` attribute).
#pragma once
#include <string_view>

namespace tetra::data {

enum class Modality { kImage, kVideo, kMesh };

inline const char* ModalityName(Modality m) {
  switch (m) {
    case Modality::kImage:
      return "image";
    case Modality::kVideo:
      return "video";
    case Modality::kMesh:
      return "mesh";
  }
  return "unknown";
}

// The HDF5 group holding a modality's datasets.
inline const char* ModalityGroup(Modality m) {
  switch (m) {
    case Modality::kImage:
      return "images";
    case Modality::kVideo:
      return "videos";
    case Modality::kMesh:
      return "meshes";
  }
  return "unknown";
}

inline bool ParseModality(std::string_view name, Modality* out) {
  for (Modality m : {Modality::kImage, Modality::kVideo, Modality::kMesh}) {
    if (name == ModalityName(m)) {
      *out = m;
      return true;
    }
  }
  return false;
}

}  // namespace tetra::data
