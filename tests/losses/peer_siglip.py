#!/usr/bin/env python3
"""Peer parity for the SigLIP loss (peer_parity_test.cpp): open_clip's SigLipLoss value and
gradients (image and text embeddings, logit scale, logit bias) on random embeddings and on
embeddings of real photos.

  peer_siglip.py OUT_DIR         writes OUT_DIR/siglip.safetensors

open_clip expects L2-normalised features and the multiplier exp(logit_scale); Tetra's loss takes raw
embeddings and the log scale, so the normalisation and the exp are part of the graph here.
Real-image embeddings: each photo (python3-skimage, scripts/fetch_test_media.sh) downsampled to
8x8 and flattened (192 values), paired with random text embeddings.
"""
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F
from open_clip.loss import SigLipLoss
from PIL import Image
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PHOTOS = ["astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png", "hubble_deep_field.jpg"]


def case(name, image32, text32, logit_scale, logit_bias, out):
    image, text = image32.clone().requires_grad_(True), text32.clone().requires_grad_(True)
    scale, bias = torch.tensor([logit_scale], requires_grad=True), torch.tensor([logit_bias], requires_grad=True)
    value = SigLipLoss()(F.normalize(image, dim=1), F.normalize(text, dim=1), scale.exp(), bias)
    grads = torch.autograd.grad(value, [image, text, scale, bias])
    out.update({f"{name}.image": image32, f"{name}.text": text32, f"{name}.logit_scale": scale.detach(),
                f"{name}.logit_bias": bias.detach(), f"{name}.value": value.detach()})
    for key, g in zip(("grad_image", "grad_text", "grad_logit_scale", "grad_logit_bias"), grads):
        out[f"{name}.{key}"] = g


def photo_embeddings():
    run = subprocess.run([os.path.join(ROOT, "scripts", "fetch_test_media.sh"), "skimage"], capture_output=True, text=True)
    if run.returncode != 0:
        return None, f"cannot fetch python3-skimage photos: {run.stderr.strip()[-300:]}"
    rows = []
    for name in PHOTOS:
        image = Image.open(os.path.join(run.stdout.strip(), name)).convert("RGB").resize((8, 8), Image.BOX)
        rows.append(torch.from_numpy(np.asarray(image, dtype=np.float32).reshape(-1) / 127.5 - 1.0))
    return torch.stack(rows), None


def main():
    out_dir = sys.argv[1]
    g = torch.Generator().manual_seed(7)
    out = {}
    image, text = torch.randn(8, 32, generator=g), torch.randn(8, 32, generator=g)
    case("random", image + 0.5 * text, text, 2.5, -3.0, out)   # matched pairs share direction
    case("random_init", image, text, float(np.log(10.0)), -10.0, out)  # open_clip's initial values
    photos, why = photo_embeddings()
    if photos is None:
        with open(os.path.join(out_dir, "real_skipped"), "w") as f:
            f.write(why)
    else:
        case("real", photos, photos + 0.3 * torch.randn(photos.shape, generator=g), 2.3, -5.0, out)
    save_file({k: v.clone().contiguous() for k, v in out.items()}, os.path.join(out_dir, "siglip.safetensors"))
    print(f"wrote {len(out)} tensors to {out_dir}")


if __name__ == "__main__":
    main()
