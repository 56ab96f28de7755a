#!/usr/bin/env python3
"""Writes a frozen image encoder as TorchScript for loss.clip.path (CLIP-perceptual) or
loss.teacher.path (distillation teacher).

Contract of the file (what Tetra calls): forward(images) with images [B, 3, R, R] float32 in [-1, 1]
returns [B, D] embeddings. The export bakes the encoder's own preprocessing (mean/std) into the
module, so Tetra never needs to know it.

Nothing is downloaded: open_clip reads `--checkpoint` from a local file.
  export_image_encoder.py --open-clip ViT-SO400M-16-SigLIP2-256 --checkpoint open_clip_model.safetensors \
      --resolution 256 --out weights/siglip2_so400m_vision.pt
  export_image_encoder.py --open-clip ViT-B-16-SigLIP2 --random --out /tmp/encoder.pt   # test the path
"""
import argparse

import torch


class PixelsToEmbedding(torch.nn.Module):
    """[-1, 1] pixels -> the encoder's normalisation -> its image embedding."""

    def __init__(self, visual, mean, std):
        super().__init__()
        self.visual = visual
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, images):
        return self.visual(((images + 1.0) * 0.5 - self.mean) / self.std)


def open_clip_visual(name, checkpoint):
    import open_clip
    model = open_clip.create_model(name, pretrained=checkpoint)  # a local file, or None: random weights
    cfg = open_clip.get_model_preprocess_cfg(model)
    return model.visual, cfg["mean"], cfg["std"], cfg["size"]


def export(module, resolution, out):
    module = module.eval().float()
    for p in module.parameters():
        p.requires_grad_(False)
    example = torch.zeros(1, 3, resolution, resolution)
    traced = torch.jit.trace(module, example, check_trace=False)
    traced.save(out)
    with torch.no_grad():
        dim = traced(example).shape[-1]
    print(f"wrote {out}: [B, 3, {resolution}, {resolution}] in [-1, 1] -> [B, {dim}]")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--open-clip", required=True, help="open_clip model name (open_clip.list_models())")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="local open_clip checkpoint file")
    src.add_argument("--random", action="store_true", help="random weights (to test the export path only)")
    p.add_argument("--resolution", type=int, default=0, help="input side (default: the model's)")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    visual, mean, std, size = open_clip_visual(a.open_clip, None if a.random else a.checkpoint)
    resolution = a.resolution or (size[0] if isinstance(size, (tuple, list)) else size)
    export(PixelsToEmbedding(visual, mean, std), resolution, a.out)


if __name__ == "__main__":
    main()
