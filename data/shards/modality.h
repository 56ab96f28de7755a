// The modality of a shard file, and its names on disk. The enum is common::Modality (one for every
// folder, with the third kind spelled "3d" in code); the shard format predates that spelling, so
// what data writes and reads keeps the names of docs/data-format.md, a contract that h5py readers
// rely on: the `modality` attribute "mesh", the HDF5 group "meshes", the embedded dataset's
// folder "mesh/". These names are not a second enum: they only translate at the file boundary.
#pragma once
#include <string_view>

#include "common/modality.h"

namespace tetra::data {

using common::Modality;

// The `modality` attribute of a shard file and the embedded dataset's folder: "image", "video",
// "mesh".
const char* modality_disk_name(Modality m);
// The HDF5 group holding a modality's datasets: "images", "videos", "meshes".
const char* modality_group(Modality m);
// Inverse of modality_disk_name; false for any other name.
bool parse_modality_disk_name(std::string_view name, Modality* out);

}  // namespace tetra::data
