#!/usr/bin/env python3
"""Regenerates tests/losses/golden/: fixed inputs, small frozen networks, and every loss's value and
input gradient computed with PyTorch's Python API (reference.py). The C++ tests (golden_test.cpp)
load the same files and must agree within 1e-5 relative in float32.

Inputs and weights are float32 (what the C++ side gets); the expected values are computed from
them in float64 and stored as float64, so a test measures the C++ float32 error itself rather than
its distance to another float32 rounding of the same formula.

  $TETRA_PYTHON tests/losses/make_golden.py        # rewrites the files; commit them

Files: vgg_w16.safetensors (VGG16 trunk, channels / 16, torchvision keys), heads_w16.safetensors
(LPIPS heads, lpips keys), clip_encoder.pt (TorchScript encoder), golden.safetensors (inputs and
expected values; key "<case>.<name>"), manifest.json (SHA-256 of the network files and settings).
Every file is reproduced byte for byte except clip_encoder.pt, where TorchScript stores a random
serialization id (its code and weights are the same).
"""
import copy
import hashlib
import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import export_lpips_heads  # noqa: E402
import export_vgg16  # noqa: E402
import reference as R  # noqa: E402

OUT = os.path.join(HERE, "golden")
WIDTH_DIVISOR = 16
RESOLUTION = 32  # LPIPS/Gram/CLIP side in the golden cases (SPEC: 224; small keeps the files and tests small)


class TinyEncoder(torch.nn.Module):
    """Stands in for a CLIP image tower: any TorchScript [B,3,R,R] -> [B,D] module must work."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 6, 4, stride=4)
        self.conv2 = torch.nn.Conv2d(6, 12, 2, stride=2)
        self.fc = torch.nn.Linear(12, 10)

    def forward(self, x):
        h = torch.tanh(self.conv1((x + 1.0) * 0.5 - 0.45))
        h = torch.nn.functional.gelu(self.conv2(h))
        return self.fc(h.mean([2, 3]))


def grad(value, x):
    (g,) = torch.autograd.grad(value, x, retain_graph=True)
    return g


def leaf(t):
    """A float64 copy of a float32 input that the reference differentiates."""
    return t.double().requires_grad_(True)


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(1234)
    rand = lambda *s: torch.rand(*s, generator=g) * 2 - 1  # uniform [-1, 1], like pixels
    randn = lambda *s: torch.randn(*s, generator=g)
    cases = {}

    trunk = export_vgg16.randomize(export_vgg16.vgg16_trunk(WIDTH_DIVISOR), seed=1).eval()
    for p in trunk.parameters():
        p.requires_grad_(False)
    heads_state = export_lpips_heads.random_heads(seed=2, width_divisor=WIDTH_DIVISOR)
    heads = [heads_state[f"lin{k}.model.1.weight"] for k in range(5)]
    save_file(export_vgg16.trunk_state(trunk), os.path.join(OUT, "vgg_w16.safetensors"))
    save_file(heads_state, os.path.join(OUT, "heads_w16.safetensors"))
    torch.manual_seed(3)
    tiny = TinyEncoder().eval().requires_grad_(False)
    torch.jit.script(tiny).save(os.path.join(OUT, "clip_encoder.pt"))
    # The reference runs the same weights in float64.
    trunk, encoder = copy.deepcopy(trunk).double(), copy.deepcopy(tiny).double()
    heads = [h.double() for h in heads]

    # L1 at native resolution over packed images and a video (pixel-weighted mean of |r - t|).
    shapes = [(1, 32, 48, 3), (1, 16, 16, 3), (4, 16, 32, 3)]
    targets = [rand(*s) for s in shapes]
    recons32 = [t + 0.3 * randn(*t.shape) for t in targets]
    recons = [leaf(r) for r in recons32]
    l1 = torch.cat([(r - t).abs().flatten() for r, t in zip(recons, targets)]).mean()
    cases["l1.value"] = l1.detach()
    for i, (r, t) in enumerate(zip(recons, targets)):
        cases[f"l1.target{i}"], cases[f"l1.recon{i}"], cases[f"l1.grad{i}"] = t, recons32[i], grad(l1, r)

    mean32, logvar32 = randn(10, 8), randn(10, 8)
    mean, logvar = leaf(mean32), leaf(logvar32)
    kl = R.kl_mean(mean, logvar)
    cases.update({"kl.mean": mean32, "kl.logvar": logvar32, "kl.value": kl.detach(),
                  "kl.grad_mean": grad(kl, mean), "kl.grad_logvar": grad(kl, logvar)})

    # Resizing to the square side: shrinking (antialiased) and enlarging.
    for name, shape in (("resize_down", (2, 3, 40, 56)), ("resize_up", (1, 3, 20, 24))):
        x32, w = rand(*shape), randn(shape[0], 3, RESOLUTION, RESOLUTION)
        x = leaf(x32)
        value = (R.resize(x, RESOLUTION) * w.double()).sum()
        cases.update({f"{name}.x": x32, f"{name}.w": w, f"{name}.value": value.detach(), f"{name}.grad_x": grad(value, x)})

    # LPIPS and Gram of images that the loss first resizes to RESOLUTION.
    x32, y32 = rand(2, 3, 48, 40), rand(2, 3, 48, 40)
    x, y = leaf(x32), y32.double()
    lp = R.lpips_per_image(trunk, heads, R.resize(x, RESOLUTION), R.resize(y, RESOLUTION))
    gr = R.gram_per_image(trunk, R.resize(x, RESOLUTION), R.resize(y, RESOLUTION))
    stable = R.gram_per_image_stable(trunk, R.resize(x, RESOLUTION), R.resize(y, RESOLUTION))
    assert torch.allclose(stable, gr, rtol=1e-10, atol=0), (stable, gr)
    cases.update({"perceptual.x": x32, "perceptual.y": y32, "lpips.per_image": lp.detach(), "lpips.value": lp.mean().detach(),
                  "lpips.grad_x": grad(lp.mean(), x), "gram.per_image": gr.detach(), "gram.value": gr.mean().detach(),
                  "gram.grad_x": grad(gr.mean(), x)})

    x32, y32 = rand(3, 3, RESOLUTION, RESOLUTION), rand(3, 3, RESOLUTION, RESOLUTION)
    x = leaf(x32)
    clip = R.clip_distance(encoder, x, y32.double())
    a, b = randn(4, 10).double(), randn(4, 10).double()
    assert torch.allclose(R.cosine_distance(a, b), 1 - F.cosine_similarity(a, b, dim=1), rtol=1e-12, atol=1e-14)
    cases.update({"clip.x": x32, "clip.y": y32, "clip.value": clip.detach(), "clip.grad_x": grad(clip, x)})

    student32, teacher, text = randn(6, 16), randn(6, 16), randn(6, 16)
    student = leaf(student32)
    dk = R.distillation_kl(student, teacher.double(), text.double(), temperature=2.0, scale=5.0)
    cases.update({"distill.student": student32, "distill.teacher": teacher, "distill.text": text,
                  "distill.value": dk.detach(), "distill.grad_student": grad(dk, student)})

    image32, text32 = randn(6, 16), randn(6, 16)
    scale32, bias32 = torch.tensor([1.7]), torch.tensor([-2.5])
    image, text, scale, bias = leaf(image32), leaf(text32), leaf(scale32), leaf(bias32)
    sl = R.siglip(image, text, scale, bias)
    cases.update({"siglip.image": image32, "siglip.text": text32, "siglip.logit_scale": scale32,
                  "siglip.logit_bias": bias32, "siglip.value": sl.detach(), "siglip.grad_image": grad(sl, image),
                  "siglip.grad_text": grad(sl, text), "siglip.grad_logit_scale": grad(sl, scale),
                  "siglip.grad_logit_bias": grad(sl, bias)})

    pipeline(cases, trunk, heads, encoder, rand, randn)
    save_file({k: v.contiguous() for k, v in cases.items()}, os.path.join(OUT, "golden.safetensors"))
    manifest = {"width_divisor": WIDTH_DIVISOR, "resolution": RESOLUTION, "torch": torch.__version__,
                "sha256": {f: hashlib.sha256(open(os.path.join(OUT, f), "rb").read()).hexdigest()
                           for f in ("vgg_w16.safetensors", "heads_w16.safetensors", "clip_encoder.pt")}}
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {len(cases)} tensors and the networks to {OUT}")


# The composer end to end, image modality: two images (40x48 and 32x32) with
#   total = rec * (l1 + lpips_w * LPIPS + gram_w * Gram + clip_w * CLIP) + sem * distill + kl_w * KL
# where lpips_w follows the schedule "0:0, 100:10" at step 50 (= 5). golden_test.cpp sets the same config.
PIPELINE = {"step": 50, "rec": 0.2, "lpips": 5.0, "gram": 1000.0, "clip": 1.0, "sem": 1.0, "kl": 1e-8,
            "temperature": 2.0, "scale": 20.0}


def pipeline(cases, trunk, heads, encoder, rand, randn):
    P = PIPELINE
    targets32 = [rand(40, 48, 3), rand(32, 32, 3)]
    recons32 = [(t + 0.5 * randn(*t.shape)).clamp(-1, 1) for t in targets32]
    mean, logvar = randn(46, 4), randn(46, 4)  # 30 + 16 tokens of 8x8 patches
    pooled32, teacher, text = randn(2, 16), randn(2, 16), randn(2, 16)
    targets, recons, pooled = [t.double() for t in targets32], [leaf(r) for r in recons32], leaf(pooled32)
    as_batch = lambda images: torch.cat([R.resize(i.permute(2, 0, 1)[None], RESOLUTION) for i in images])
    rx, tx = as_batch(recons), as_batch(targets)
    terms = {
        "image/l1": torch.cat([(r - t).abs().flatten() for r, t in zip(recons, targets)]).mean(),
        "image/lpips": R.lpips_per_image(trunk, heads, rx, tx).mean(),
        "image/gram": R.gram_per_image(trunk, rx, tx).mean(),
        "image/clip": R.clip_distance(encoder, rx, tx),
        "image/distill": R.distillation_kl(pooled, teacher.double(), text.double(), P["temperature"], P["scale"]),
        "image/kl": R.kl_mean(mean.double(), logvar.double()),
    }
    total = (P["rec"] * (terms["image/l1"] + P["lpips"] * terms["image/lpips"] + P["gram"] * terms["image/gram"]
                         + P["clip"] * terms["image/clip"]) + P["sem"] * terms["image/distill"] + P["kl"] * terms["image/kl"])
    for i, r in enumerate(recons):
        cases[f"pipeline.target{i}"], cases[f"pipeline.recon{i}"] = targets32[i], recons32[i]
        cases[f"pipeline.grad_recon{i}"] = grad(total, r)
    cases.update({"pipeline.mean": mean, "pipeline.logvar": logvar, "pipeline.pooled": pooled32,
                  "pipeline.teacher": teacher, "pipeline.text": text, "pipeline.total": total.detach(),
                  "pipeline.grad_pooled": grad(total, pooled)})
    for name, value in terms.items():
        cases[f"pipeline.term.{name.replace('/', '.')}"] = value.detach()


if __name__ == "__main__":
    main()
