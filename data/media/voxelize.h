// SPEC 1 3D tokenisation from rendered views: a voxel of the 64^3 grid over [-0.5, 0.5]^3 is
// occupied when a depth-unprojected surface point falls in it; each occupied voxel takes the 16x16
// RGB patch of the view whose camera sees its centre nearest (smallest depth), sampled at the
// patch containing the centre's projection (AToken's pack_multiview_feat).
#pragma once
#include <vector>

#include "data/shards/mesh_shard.h"
#include "data/media/render.h"

namespace tetra::data {

// Voxels in (x, y, z) lexicographic order. Views must be square with a side a multiple of 16.
MeshVoxels voxelize_views(const std::vector<Camera>& cameras, const std::vector<RenderedView>& views);

}  // namespace tetra::data
