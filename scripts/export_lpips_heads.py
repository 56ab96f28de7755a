#!/usr/bin/env python3
"""Writes the LPIPS linear heads for loss.vgg.heads: safetensors with the lpips package's key names
(lin0.model.1.weight ... lin4.model.1.weight, shapes [1, C, 1, 1]), float32.

The heads ship inside the PyPI `lpips` package (weights/v0.1/vgg.pth), so nothing is downloaded:
  export_lpips_heads.py --out weights/lpips_vgg_heads.safetensors
  export_lpips_heads.py --checkpoint my_heads.pth --out ...         # your own trained heads
  export_lpips_heads.py --random --width-divisor 8 --out ...        # uniform [0, 2/C), for tests
"""
import argparse
import os

import torch
from safetensors.torch import save_file

VGG16_LAYER_WIDTHS = [64, 128, 256, 512, 512]


def packaged_heads_path():
    import lpips
    return os.path.join(os.path.dirname(lpips.__file__), "weights", "v0.1", "vgg.pth")


def heads_from_checkpoint(path):
    state = torch.load(path, map_location="cpu", weights_only=True)
    out = {}
    for k, width in enumerate(VGG16_LAYER_WIDTHS):
        key = f"lin{k}.model.1.weight"
        if key not in state or tuple(state[key].shape) != (1, width, 1, 1):
            raise SystemExit(f"{path}: needs {key} of shape (1, {width}, 1, 1)")
        out[key] = state[key].float().contiguous()
    return out


def random_heads(seed, width_divisor=1):
    g = torch.Generator().manual_seed(seed)
    out = {}
    for k, width in enumerate(VGG16_LAYER_WIDTHS):
        c = max(1, width // width_divisor)
        out[f"lin{k}.model.1.weight"] = torch.rand((1, c, 1, 1), generator=g) * (2.0 / c)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", help="lpips state dict (default: the heads inside the lpips package)")
    p.add_argument("--random", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width-divisor", type=int, default=1)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    if a.random:
        tensors, source = random_heads(a.seed, a.width_divisor), f"random seed {a.seed}"
    else:
        path = a.checkpoint or packaged_heads_path()
        tensors, source = heads_from_checkpoint(path), path
    save_file(tensors, a.out, metadata={"source": source})
    print(f"wrote {len(tensors)} tensors to {a.out}")


if __name__ == "__main__":
    main()
