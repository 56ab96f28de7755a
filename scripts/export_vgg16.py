#!/usr/bin/env python3
"""Writes the VGG16 trunk for loss.vgg.weights: safetensors with torchvision's key names
(features.N.weight, features.N.bias for the 13 convolutions up to relu5_3), float32.

Nothing is downloaded. Either
  --checkpoint FILE   a torchvision vgg16 state dict you already have (e.g. the
                      vgg16-397923af.pth that torchvision caches under ~/.cache/torch/hub/checkpoints)
  --random            seeded random weights (torchvision's initialisation), for smoke runs and tests;
                      --width-divisor shrinks every layer's channels for a cheap network.

  export_vgg16.py --checkpoint vgg16-397923af.pth --out weights/vgg16.safetensors
  export_vgg16.py --random --seed 0 --width-divisor 8 --out weights/vgg16_w8_random.safetensors
"""
import argparse

import torch
from safetensors.torch import save_file

# torchvision's configuration "D" up to relu5_3: the trailing max-pool has no weights.
VGG16_TRUNK = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512]


def vgg16_trunk(width_divisor=1):
    """torch.nn.Sequential numbered like torchvision's vgg16().features[:30]."""
    layers, channels = [], 3
    for item in VGG16_TRUNK:
        if item == "M":
            layers.append(torch.nn.MaxPool2d(2, 2))
            continue
        width = max(1, item // width_divisor)
        layers += [torch.nn.Conv2d(channels, width, 3, padding=1), torch.nn.ReLU(inplace=True)]
        channels = width
    return torch.nn.Sequential(*layers)


def randomize(trunk, seed):
    """torchvision's VGG init (kaiming normal, fan_out, relu; zero bias) from a seeded generator."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in trunk:
            if isinstance(m, torch.nn.Conv2d):
                fan_out = m.weight.shape[0] * m.weight.shape[2] * m.weight.shape[3]
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / fan_out) ** 0.5)
                m.bias.zero_()
    return trunk


def trunk_state(trunk):
    return {f"features.{k}": v.detach().float().contiguous() for k, v in trunk.state_dict().items()}


def from_checkpoint(path):
    state = torch.load(path, map_location="cpu", weights_only=True)
    trunk = vgg16_trunk()
    wanted = trunk_state(trunk)
    out = {}
    for key, like in wanted.items():
        if key not in state:
            raise SystemExit(f"{path}: missing {key}; is this a torchvision vgg16 state dict?")
        if tuple(state[key].shape) != tuple(like.shape):
            raise SystemExit(f"{path}: {key} has shape {tuple(state[key].shape)}, VGG16 needs {tuple(like.shape)}")
        out[key] = state[key].float().contiguous()
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="torchvision vgg16 state dict (.pth)")
    src.add_argument("--random", action="store_true", help="seeded random weights")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width-divisor", type=int, default=1, help="random only: channels / this")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    if a.checkpoint:
        tensors, meta = from_checkpoint(a.checkpoint), {"source": a.checkpoint}
    else:
        trunk = randomize(vgg16_trunk(a.width_divisor), a.seed)
        tensors, meta = trunk_state(trunk), {"source": f"random seed {a.seed} width_divisor {a.width_divisor}"}
    save_file(tensors, a.out, metadata=meta)
    print(f"wrote {len(tensors)} tensors to {a.out}")


if __name__ == "__main__":
    main()
