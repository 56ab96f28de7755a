// The three sample kinds of SPEC section 1, one enum for every folder. In code, config keys, log
// prefixes and metric names the third one is spelled "3d". (On-disk shard names predate this and
// stay "mesh"/"meshes": see data/shards/modality.h.)
#pragma once
#include <optional>
#include <string_view>

namespace tetra::common {

enum class Modality { kImage, kVideo, k3d };

inline constexpr Modality kAllModalities[] = {Modality::kImage, Modality::kVideo, Modality::k3d};

// "image", "video", "3d": the config section (data.3d, loss.3d), log prefix and metric name.
const char* modality_name(Modality m);
// Inverse of modality_name; nullopt for any other name.
std::optional<Modality> parse_modality(std::string_view name);

}  // namespace tetra::common
