"""The losses of SPEC section 3 written with the PyTorch Python API: the baseline for
bench/bench_losses.cpp. Same inputs (packed 16x16 tokens of B square images), same steps (tokens
back to images, resize, one VGG16 pass per side shared by LPIPS and Gram, targets without autograd)
and same shapes; forward + backward timed per step, median over --steps after --warmup.

    OMP_WAIT_POLICY=PASSIVE ~/.cache/tetra/venv/bin/python bench/losses_torch.py --loss lpips --batch 8
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path[:0] = [os.path.join(ROOT, "scripts"), os.path.join(ROOT, "tests", "losses"), os.path.join(ROOT, "bench")]
import export_vgg16  # noqa: E402
import reference as R  # noqa: E402  (the loss tests' reference formulas)
from train_step_torch import set_malloc_thresholds  # noqa: E402  (trainer/process_env.cpp's mallopt)

PT, P = 4, 16  # temporal and spatial patch


def patchify(image):
    """[H, W, 3] -> [tokens, 4*16*16*3], zero-padded to 4 frames (model/tokens.cpp)."""
    h, w, c = image.shape
    video = torch.cat([image[None], torch.zeros(PT - 1, h, w, c)])
    gh, gw = h // P, w // P
    return video.reshape(1, PT, gh, P, gw, P, c).permute(0, 2, 4, 1, 3, 5, 6).reshape(gh * gw, -1)


def frames(features, batch, side):
    """Frame 0 of every sample as [B, 3, side, side]; as losses/frames.cpp, only the leading
    (real-frame) values of each token are unpacked."""
    g = side // P
    out = []
    for f in features.split(g * g):
        image = f[:, : P * P * 3].reshape(g, g, P, P, 3).permute(0, 2, 1, 3, 4).reshape(side, side, 3)
        out.append(image.permute(2, 0, 1)[None])
    return torch.cat(out)


def vgg(trunk, images):
    return R.vgg_features(trunk, (images - R.LPIPS_SHIFT) / R.LPIPS_SCALE)


def lpips(fx, fy, heads):
    """As losses/perceptual.cpp: spatial mean before the 1x1 head (reference.py applies it first)."""
    unit = lambda f: f / (f.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
    return sum((unit(a) - unit(b)).pow(2).mean([2, 3]) @ w.view(-1) for a, b, w in zip(fx, fy, heads))


class RandomEncoder(torch.nn.Module):
    """losses/image_encoder.cpp's random encoder."""

    def __init__(self, width=32, dim=64):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Conv2d(3, width, 4, 4), torch.nn.GELU(),
                                        torch.nn.Conv2d(width, 2 * width, 2, 2), torch.nn.GELU(),
                                        torch.nn.Conv2d(2 * width, 4 * width, 2, 2), torch.nn.GELU())
        self.head = torch.nn.Linear(4 * width, dim)

    def forward(self, x):
        return self.head(self.body(x).mean([2, 3]))


class Step:
    def __init__(self, a):
        self.a = a
        torch.manual_seed(0)
        images = [torch.rand(a.side, a.side, 3) * 2 - 1 for _ in range(a.batch)]
        self.targets = torch.cat([patchify(i) for i in images])
        self.recon = (self.targets + 0.1 * torch.randn(self.targets.shape)).requires_grad_(True)
        n = self.targets.shape[0]
        self.mean, self.logvar = torch.randn(n, 32, requires_grad=True), torch.randn(n, 32, requires_grad=True)
        self.pooled = torch.randn(a.batch, a.embed_dim, requires_grad=True)
        self.text, self.teacher = torch.randn(a.batch, a.embed_dim), torch.randn(a.batch, a.embed_dim)
        self.trunk = export_vgg16.randomize(export_vgg16.vgg16_trunk(a.width_divisor), 0).eval().requires_grad_(False)
        widths = [max(1, c // a.width_divisor) for c in (64, 128, 256, 512, 512)]
        self.heads = [torch.rand(c) * 2 / c for c in widths]
        self.encoder = (torch.jit.load(a.clip_encoder) if a.clip_encoder else RandomEncoder()).eval().requires_grad_(False)
        self.logit_scale = torch.tensor([2.302585], requires_grad=True)
        self.logit_bias = torch.tensor([-10.0], requires_grad=True)

    def l1(self):
        """As losses/reconstruction.cpp: images only have a real frame in slot 0 of each token."""
        n = self.targets.shape[0]
        mask = torch.ones(n, 1)
        per_slot = (self.recon.view(n, PT, -1)[:, :1] - self.targets.view(n, PT, -1)[:, :1]).abs().mean(-1)
        return (per_slot * mask).sum() / mask.sum().clamp_min(1)

    def images(self, side):
        rx = R.resize(frames(self.recon, self.a.batch, self.a.side), side)
        with torch.no_grad():
            tx = R.resize(frames(self.targets, self.a.batch, self.a.side), side)
        return rx, tx

    def vgg_pair(self):
        rx, tx = self.images(self.a.resolution)
        fx = vgg(self.trunk, rx)
        with torch.no_grad():
            fy = vgg(self.trunk, tx)
        return fx, fy

    def loss(self):
        name = self.a.loss
        if name == "l1":
            return self.l1()
        if name == "kl":
            return (0.5 * (self.mean ** 2 + self.logvar.exp() - 1 - self.logvar).sum(-1)).mean()
        if name in ("lpips", "gram", "perceptual"):
            fx, fy = self.vgg_pair()
            total = 0
            if name != "gram":
                total = total + lpips(fx, fy, self.heads).mean()
            if name != "lpips":
                total = total + R.gram_stable_from_features(fx, fy).mean()
            return total
        if name == "clip":
            return self.clip()
        if name == "image_rec":
            fx, fy = self.vgg_pair()
            return self.l1() + 10 * lpips(fx, fy, self.heads).mean() + 1000 * R.gram_stable_from_features(fx, fy).mean() + self.clip()
        t = F.normalize(self.text, dim=1)
        s = F.normalize(self.pooled, dim=1) @ t.T
        if name == "distill":
            teacher = F.normalize(self.teacher, dim=1) @ t.T
            log_s, log_t = F.log_softmax(s / 2, 1), F.log_softmax(teacher / 2, 1)
            return (log_t.exp() * (log_t - log_s)).sum(1).mean()
        if name == "siglip":
            logits = self.logit_scale.exp() * s + self.logit_bias
            labels = 2 * torch.eye(s.shape[0]) - 1
            return -F.logsigmoid(labels * logits).sum() / s.shape[0]
        raise SystemExit(f"unknown loss {name}")

    def clip(self):
        rx, tx = self.images(self.a.resolution)
        with torch.no_grad():
            ey = self.encoder(tx)
        return R.cosine_distance(self.encoder(rx), ey).mean()

    def __call__(self):
        for t in (self.recon, self.mean, self.logvar, self.pooled, self.logit_scale, self.logit_bias):
            t.grad = None
        self.loss().backward()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--loss", default="perceptual")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--side", type=int, default=224)
    p.add_argument("--resolution", type=int, default=224)
    p.add_argument("--width-divisor", type=int, default=1)
    p.add_argument("--embed-dim", type=int, default=1152)
    p.add_argument("--clip-encoder", default="")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--steps", type=int, default=5)
    a = p.parse_args()
    set_malloc_thresholds(256 << 20)  # as every Tetra binary, bench_losses included, does
    torch.set_num_threads(a.threads)
    step = Step(a)
    for _ in range(a.warmup):
        step()
    wall, cpu = [], []
    for _ in range(a.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    print(json.dumps({"impl": "python", "loss": a.loss, "batch": a.batch, "side": a.side, "resolution": a.resolution,
                      "width_divisor": a.width_divisor,
                      "encoder": os.path.basename(a.clip_encoder) if a.clip_encoder else "random", "threads": a.threads, "steps": a.steps,
                      "median_ms": round(statistics.median(wall), 3), "cpu_ms": round(statistics.median(cpu), 3)}))


if __name__ == "__main__":
    main()
