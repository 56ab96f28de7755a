"""Reads a tetra shard of any modality with h5py alone and prints a JSON summary (used by
shard_h5py_test).

Proves the layouts in docs/data-format.md are readable without tetra: attributes, offsets into the
byte blobs and row tables, variable-length UTF-8 strings, fp16 voxel features and text embeddings.
"""
import json
import sys

import h5py
import numpy as np


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def hex_checksum(data: bytes) -> str:
    # JSON numbers lose precision above 2^53, so checksums travel as hex strings.
    return "%016x" % fnv1a64(data)


def images(group) -> dict:
    offsets = group["offsets"][:]
    data = group["data"]
    samples = [data[offsets[i]:offsets[i + 1]].tobytes() for i in range(len(offsets) - 1)]
    return {
        "offsets": [int(o) for o in offsets],
        "offsets_dtype": str(offsets.dtype),
        "data_dtype": str(data.dtype),
        "encoding": [int(e) for e in group["encoding"][:]],
        "height": [int(v) for v in group["height"][:]],
        "width": [int(v) for v in group["width"][:]],
        "source_ids": list(group["source_id"].asstr()[:]),
        "checksums": [hex_checksum(s) for s in samples],
    }


def videos(group) -> dict:
    first = group["first_frame"][:]
    offsets = group["frame_offsets"][:]
    data = group["frame_data"]
    # The last frame of every clip, read alone: a window never needs the rest of the clip.
    last = [data[offsets[first[i + 1] - 1]:offsets[first[i + 1]]].tobytes() for i in range(len(first) - 1)]
    return {
        "source_ids": list(group["source_id"].asstr()[:]),
        "num_frames": [int(first[i + 1] - first[i]) for i in range(len(first) - 1)],
        "fps": [float(v) for v in group["fps"][:]],
        "source_fps": [float(v) for v in group["source_fps"][:]],
        "height": [int(v) for v in group["height"][:]],
        "width": [int(v) for v in group["width"][:]],
        "encoding": [int(e) for e in group["encoding"][:]],
        "last_frame_checksums": [hex_checksum(b) for b in last],
    }


def meshes(group) -> dict:
    voxels = group["voxel_offsets"][:]
    views = group["view_offsets"][:]
    features = group["features"]
    out = {"source_ids": list(group["source_id"].asstr()[:]), "grid_size": int(group.attrs["grid_size"]),
           "feature_width": int(group.attrs["feature_width"]), "features_dtype": str(features.dtype),
           "coords_sum": [], "features_sum": [], "num_views": [], "rgb_checksums": [],
           "depth_sum": [], "extrinsics_sum": [], "colour": [int(c) for c in group["colour"][:]]}
    for i in range(len(voxels) - 1):
        a, b = int(voxels[i]), int(voxels[i + 1])
        out["coords_sum"].append(int(group["coords"][a:b].astype(np.int64).sum()))
        out["features_sum"].append(float(features[a:b].astype(np.float64).sum()))
        v0, v1 = int(views[i]), int(views[i + 1])
        out["num_views"].append(v1 - v0)
        out["rgb_checksums"].append(hex_checksum(group["view_rgb"][v0:v1].tobytes()))
        out["depth_sum"].append(float(group["view_depth"][v0:v1].astype(np.float64).sum()))
        out["extrinsics_sum"].append(float(group["view_extrinsics"][v0:v1].astype(np.float64).sum()))
    return out


def text(f) -> dict:
    if "text" not in f:
        return {}
    t = f["text"]
    out = {"captions": list(t["caption"].asstr()[:])}
    if "embedding" in t:
        emb = t["embedding"][:]
        out["embedding_dtype"] = str(emb.dtype)
        out["embedding_width"] = int(t.attrs["embedding_width"])
        out["embedding_rows"] = [[float(v) for v in row] for row in emb]
    return out


def summarize(path: str) -> dict:
    with h5py.File(path, "r") as f:
        modality = f.attrs["modality"]
        summary = {
            "format": f.attrs["format"],
            "format_version": int(f.attrs["format_version"]),
            "modality": modality,
            "num_samples": int(f.attrs["num_samples"]),
        }
        readers = {"image": ("images", images), "video": ("videos", videos), "mesh": ("meshes", meshes)}
        group, read = readers[modality]
        summary.update(read(f[group]))
        summary["text"] = text(f)
        return summary


if __name__ == "__main__":
    print(json.dumps(summarize(sys.argv[1])))
