"""Reads a tetra image shard with h5py alone and prints a JSON summary (used by shard_h5py_test).

Proves the layout in docs/data-format.md is readable without tetra: attributes, the offsets
into the byte blob, the variable-length UTF-8 source ids, and each sample's bytes.
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


def summarize(path: str) -> dict:
    with h5py.File(path, "r") as f:
        images = f["images"]
        offsets = images["offsets"][:]
        data = images["data"]
        samples = [data[offsets[i]:offsets[i + 1]].tobytes() for i in range(len(offsets) - 1)]
        return {
            "format": f.attrs["format"],
            "format_version": int(f.attrs["format_version"]),
            "modality": f.attrs["modality"],
            "num_samples": int(f.attrs["num_samples"]),
            "offsets": [int(o) for o in offsets],
            "offsets_dtype": str(offsets.dtype),
            "data_dtype": str(data.dtype),
            "encoding": [int(e) for e in images["encoding"][:]],
            "height": [int(v) for v in images["height"][:]],
            "width": [int(v) for v in images["width"][:]],
            "source_ids": [s for s in images["source_id"].asstr()[:]],
            # JSON numbers lose precision above 2^53, so checksums travel as hex strings.
            "checksums": ["%016x" % fnv1a64(s) for s in samples],
        }


if __name__ == "__main__":
    print(json.dumps(summarize(sys.argv[1])))
