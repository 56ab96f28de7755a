"""Tetra's tokenizer written with the PyTorch Python API: the baseline for bench/bench_train_step.cpp.

The same architecture as model/ (encoder -> KL bottleneck -> decoder, plus the attention-pooling
head, which exists in the C++ model but is not run in a training step), the same loss and AdamW
parameter groups as trainer/, the same packed batch of images. It is written the way one would
write it in Python rather than transcribed from the C++: RoPE is cos/sin tables built once per
forward and shared by every block, then an interleaved pair rotation left to autograd.

One training step = forward, loss, zero_grad, backward, global-norm gradient clipping and AdamW,
as trainer/loop/step.cpp runs it in one process (minus data loading, EMA and logging). Prints the
parameter count (it must equal bench_train_step's: that is the check that both sides build the
same model) and one JSON line.

    OMP_WAIT_POLICY=PASSIVE ~/.cache/tetra/venv/bin/python bench/train_step_torch.py --preset small --threads 1
"""
import argparse
import ctypes
import json
import math
import statistics
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

PRESETS = {  # width, depth, heads, mlp_hidden
    "small": (192, 2, 4, 512),  # model/options.cpp "small"
    "big": (384, 4, 6, 1536),
}
PATCH = (4, 16, 16, 3)  # t, h, w, c
POSITION_GRID, ROPE_BASE = 16, 10000.0
REC_WEIGHT, L1_WEIGHT, KL_WEIGHT = 0.2, 1.0, 1e-8  # trainer LossConfig defaults
LR, BETAS, EPS, WEIGHT_DECAY, ENCODER_LR_MULT, GRAD_CLIP = 3e-4, (0.9, 0.95), 1e-8, 0.1, 0.1, 1.0


@dataclass
class Layout:
    """A packed batch: tokens of all samples concatenated, attention never crosses samples."""

    features: torch.Tensor  # [N, F]
    coords: torch.Tensor  # [N, 4] int32 (t, row, column, z)
    offsets: list  # sample s owns tokens offsets[s]:offsets[s+1]
    grids: list  # (rows, cols) of patches per sample
    cos: torch.Tensor = None  # RoPE tables [N, 1, head_dim/2], set once per forward
    sin: torch.Tensor = None


def patchify(image: torch.Tensor):
    """[H, W, 3] image -> tokens [n, F] (zero-padded to PATCH[0] frames) and coords [n, 4]."""
    pt, ph, pw, c = PATCH
    h, w = image.shape[0] // ph, image.shape[1] // pw
    video = torch.cat((image.unsqueeze(0), image.new_zeros(pt - 1, *image.shape)))
    features = video.reshape(1, pt, h, ph, w, pw, c).permute(0, 2, 4, 1, 3, 5, 6).reshape(h * w, -1)
    rows, cols = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    zeros = torch.zeros_like(rows)
    coords = torch.stack((zeros, rows, cols, zeros), -1).reshape(h * w, 4).int()
    return features.contiguous(), coords, (h, w)


def pack(images) -> Layout:
    parts = [patchify(im) for im in images]
    offsets = [0]
    for features, _, _ in parts:
        offsets.append(offsets[-1] + features.shape[0])
    return Layout(torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts]), offsets,
                  [p[2] for p in parts])


def rope_tables(coords: torch.Tensor, head_dim: int, base: float = ROPE_BASE):
    """kernels/rope.h: pair j = a*(h/8)+k rotates by coord[a] * base^(-k/h)."""
    n = head_dim // 8
    pair = torch.arange(head_dim // 2)
    freq = torch.pow(base, -(pair % n).double() / head_dim).float()
    theta = coords[:, pair // n].float() * freq
    return theta.cos().unsqueeze(1), theta.sin().unsqueeze(1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    tokens, heads, head_dim = x.shape
    xp = x.float().reshape(tokens, heads, head_dim // 2, 2)
    x0, x1 = xp[..., 0], xp[..., 1]
    out = torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), -1)
    return out.reshape(tokens, heads, head_dim).to(x.dtype)


def packed_attention(q, k, v, offsets):
    """Each run of consecutive equal-length samples is one batched SDPA call (model/attention.cpp)."""
    outputs, i, heads, head_dim = [], 0, q.shape[1], q.shape[2]
    while i + 1 < len(offsets):
        length = offsets[i + 1] - offsets[i]
        j = i + 1
        while j + 1 < len(offsets) and offsets[j + 1] - offsets[j] == length:
            j += 1
        runs = j - i

        def as_batch(t):
            return t[offsets[i]:offsets[i] + runs * length].view(runs, length, heads, head_dim).transpose(1, 2)

        out = F.scaled_dot_product_attention(as_batch(q), as_batch(k), as_batch(v))
        outputs.append(out.transpose(1, 2).reshape(runs * length, heads, head_dim))
        i = j
    return outputs[0] if len(outputs) == 1 else torch.cat(outputs)


class LayerNorm32(nn.Module):
    def __init__(self, width, eps=1e-6):
        super().__init__()
        self.weight, self.bias, self.eps = nn.Parameter(torch.ones(width)), nn.Parameter(torch.zeros(width)), eps

    def forward(self, x):
        return F.layer_norm(x.float(), (x.shape[-1],), self.weight.float(), self.bias.float(), self.eps).to(x.dtype)


class RMSNorm32(nn.Module):
    def __init__(self, width, eps=1e-6):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(width)), eps

    def forward(self, x):
        x32 = x.float()
        return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight.float()).to(x.dtype)


class Mlp(nn.Module):
    def __init__(self, width, hidden, bias):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(width, hidden, bias=bias), nn.Linear(hidden, width, bias=bias)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


class PositionTable2D(nn.Module):
    """Learned grid x grid table, resized (bilinear, antialiased) to each sample's patch grid."""

    def __init__(self, grid, width):
        super().__init__()
        self.table = nn.Parameter(torch.randn(grid, grid, width) * 0.02)

    def forward(self, layout: Layout):
        as_image = self.table.permute(2, 0, 1).unsqueeze(0)
        resized, per_sample = {}, []
        coords = layout.coords.long()
        for s, (h, w) in enumerate(layout.grids):
            if (h, w) not in resized:
                r = F.interpolate(as_image, size=(h, w), mode="bilinear", align_corners=False, antialias=True)
                resized[h, w] = r.squeeze(0).permute(1, 2, 0).reshape(h * w, -1)
            c = coords[layout.offsets[s]:layout.offsets[s + 1]]
            per_sample.append(resized[h, w].index_select(0, c[:, 1] * w + c[:, 2]))
        return torch.cat(per_sample)


class SelfAttention(nn.Module):
    def __init__(self, width, heads, bias, qk_norm):
        super().__init__()
        self.heads, self.head_dim = heads, width // heads
        self.qkv = nn.Linear(width, 3 * width, bias=bias)
        self.proj = nn.Linear(width, width, bias=bias)
        self.qk_norm = qk_norm
        if qk_norm:
            self.q_gain = nn.Parameter(torch.ones(heads, self.head_dim))
            self.k_gain = nn.Parameter(torch.ones(heads, self.head_dim))

    def _norm(self, t, gain):
        return (F.normalize(t.float(), dim=-1, eps=1e-6) * gain.float() * math.sqrt(self.head_dim)).to(t.dtype)

    def forward(self, x, layout: Layout):
        n = x.shape[0]
        q, k, v = self.qkv(x).view(n, 3, self.heads, self.head_dim).unbind(1)
        if self.qk_norm:
            q, k = self._norm(q, self.q_gain), self._norm(k, self.k_gain)
        q, k = apply_rope(q, layout.cos, layout.sin), apply_rope(k, layout.cos, layout.sin)
        return self.proj(packed_attention(q, k, v, layout.offsets).reshape(n, -1))


class Block(nn.Module):
    """Encoder: LayerNorm, biases. Decoder: RMSNorm, QK-norm, no biases."""

    def __init__(self, width, heads, mlp_hidden, decoder):
        super().__init__()
        norm = RMSNorm32 if decoder else LayerNorm32
        self.norm1 = norm(width)
        self.attn = SelfAttention(width, heads, bias=not decoder, qk_norm=decoder)
        self.norm2 = norm(width)
        self.mlp = Mlp(width, mlp_hidden, bias=not decoder)

    def forward(self, x, layout):
        h = x + self.attn(self.norm1(x), layout)
        return h + self.mlp(self.norm2(h))


class Encoder(nn.Module):
    def __init__(self, features, width, depth, heads, mlp_hidden):
        super().__init__()
        self.patch_embed = nn.Linear(features, width)
        self.position = PositionTable2D(POSITION_GRID, width)
        self.blocks = nn.ModuleList(Block(width, heads, mlp_hidden, decoder=False) for _ in range(depth))
        self.final_norm = LayerNorm32(width)

    def forward(self, layout):
        x = self.patch_embed(layout.features) + self.position(layout)
        for block in self.blocks:
            x = block(x, layout)
        return self.final_norm(x)


class Decoder(nn.Module):
    def __init__(self, features, width, depth, heads, mlp_hidden, latent):
        super().__init__()
        self.latent_in = nn.Linear(latent, width, bias=False)
        self.position = PositionTable2D(POSITION_GRID, width)
        self.blocks = nn.ModuleList(Block(width, heads, mlp_hidden, decoder=True) for _ in range(depth))
        self.final_norm = RMSNorm32(width)
        self.pixel_head = nn.Linear(width, features, bias=False)

    def forward(self, z, layout):
        x = self.latent_in(z) + self.position(layout)
        for block in self.blocks:
            x = block(x, layout)
        return self.pixel_head(self.final_norm(x))


class KLBottleneck(nn.Module):
    def __init__(self, width, latent):
        super().__init__()
        self.proj, self.latent = nn.Linear(width, 2 * latent), latent

    def forward(self, h, generator):
        stats = self.proj(h).float()
        mean, logvar = stats[:, :self.latent], stats[:, self.latent:].clamp(-30.0, 20.0)
        eps = torch.randn(mean.shape, generator=generator)
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)
        return mean + (0.5 * logvar).exp() * eps, kl


class AttentionPooling(nn.Module):
    """SigLIP MAP head (the understanding path): not part of the reconstruction training step."""

    def __init__(self, width, heads, mlp_hidden):
        super().__init__()
        self.heads = heads
        self.probe = nn.Parameter(torch.randn(1, width) * 0.02)
        self.q_proj, self.kv_proj = nn.Linear(width, width), nn.Linear(width, 2 * width)
        self.out_proj, self.norm = nn.Linear(width, width), LayerNorm32(width)
        self.mlp = Mlp(width, mlp_hidden, bias=True)

    def forward(self, h, offsets):
        width = h.shape[1]
        head_dim = width // self.heads
        q = self.q_proj(self.probe).view(1, self.heads, 1, head_dim)
        kv = self.kv_proj(h).view(h.shape[0], 2, self.heads, head_dim)
        pooled = []
        for s in range(len(offsets) - 1):
            part = kv[offsets[s]:offsets[s + 1]]
            k, v = (part[:, i].transpose(0, 1).unsqueeze(0) for i in (0, 1))
            pooled.append(F.scaled_dot_product_attention(q, k, v).reshape(1, width))
        x = self.out_proj(torch.cat(pooled))
        return F.normalize(x + self.mlp(self.norm(x)), dim=-1)


class Tokenizer(nn.Module):
    def __init__(self, width, depth, heads, mlp_hidden, latent):
        super().__init__()
        features = math.prod(PATCH)
        self.head_dim = width // heads
        self.encoder = Encoder(features, width, depth, heads, mlp_hidden)
        self.bottleneck = KLBottleneck(width, latent)
        self.decoder = Decoder(features, width, depth, heads, mlp_hidden, latent)
        self.pooling = AttentionPooling(width, heads, mlp_hidden)

    def forward(self, layout: Layout, generator):
        layout.cos, layout.sin = rope_tables(layout.coords, self.head_dim)
        h = self.encoder(layout)
        z, kl = self.bottleneck(h, generator)
        return self.decoder(z.to(h.dtype), layout), kl


def make_optimizer(model: nn.Module) -> torch.optim.AdamW:
    """trainer/state/optim.cpp: {encoder, rest} x {matrices with weight decay, vectors without}."""
    groups = {}
    for name, p in model.named_parameters():
        encoder, vector = name.startswith("encoder."), p.dim() < 2
        groups.setdefault((encoder, vector), []).append(p)
    return torch.optim.AdamW(
        [{"params": params, "lr": LR * (ENCODER_LR_MULT if encoder else 1.0),
          "weight_decay": 0.0 if vector else WEIGHT_DECAY}
         for (encoder, vector), params in sorted(groups.items())],
        lr=LR, betas=BETAS, eps=EPS)


def loss_fn(reconstruction, kl, layout: Layout):
    """Images only: score frame 0 of each 4-frame patch; the other three are temporal padding."""
    n, pt = reconstruction.shape[0], PATCH[0]

    def real(t):
        return t.float().view(n, pt, -1)[:, 0]

    l1 = (real(reconstruction) - real(layout.features)).abs().mean()
    return REC_WEIGHT * L1_WEIGHT * l1 + KL_WEIGHT * kl.mean()


def parse_sizes(text):
    return [tuple(int(v) for v in s.split("x")) for s in text.split(",")]


def batch_sizes(batch, sizes):
    """Consecutive images share a size (blocks of batch/len(sizes)), so attention sees runs."""
    return [sizes[i * len(sizes) // batch] for i in range(batch)]


def set_malloc_thresholds(nbytes: int) -> None:
    """The mallopt() calls of trainer/process_env.cpp, so both processes allocate alike."""
    libc = ctypes.CDLL("libc.so.6")
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    if not (libc.mallopt(M_MMAP_THRESHOLD, nbytes) and libc.mallopt(M_TRIM_THRESHOLD, nbytes)):
        raise RuntimeError("mallopt failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    for flag in ("width", "depth", "heads", "mlp"):
        parser.add_argument(f"--{flag}", type=int, help="overrides the preset")
    parser.add_argument("--latent", type=int, default=32)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--sizes", default="48x64,64x64,64x96,96x96", help="HxW, comma separated")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--no-mallopt", action="store_true", help="keep glibc's default malloc thresholds")
    parser.add_argument("--profile", action="store_true", help="print a torch.profiler table of one step")
    args = parser.parse_args()

    if not args.no_mallopt:
        set_malloc_thresholds(256 << 20)
    torch.set_num_threads(args.threads)
    width, depth, heads, mlp = PRESETS[args.preset]
    width, depth = args.width or width, args.depth or depth
    heads, mlp = args.heads or heads, args.mlp or mlp

    torch.manual_seed(0)
    model = Tokenizer(width, depth, heads, mlp, args.latent)
    optimizer = make_optimizer(model)
    generator = torch.Generator().manual_seed(1)
    layout = pack([torch.rand(h, w, 3) * 2 - 1 for h, w in batch_sizes(args.batch, parse_sizes(args.sizes))])
    params = sum(p.numel() for p in model.parameters())
    print(f"python: {params} parameters, {layout.offsets[-1]} tokens, {args.threads} threads, torch {torch.__version__}")

    def step():
        reconstruction, kl = model(layout, generator)
        loss = loss_fn(reconstruction, kl, layout)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        optimizer.step()

    for _ in range(args.warmup):
        step()
    if args.profile:
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            step()
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
    times, cpu_times = [], []  # wall, and CPU time of all threads (bench_train_step measures both)
    for _ in range(args.steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        step()
        times.append(1e3 * (time.perf_counter() - start))
        cpu_times.append(1e3 * (time.process_time() - cpu_start))
    median = statistics.median(times)
    print(json.dumps({"impl": "python", "params": params, "tokens": layout.offsets[-1], "threads": args.threads,
                      "width": width, "depth": depth, "heads": heads, "mlp": mlp, "steps": args.steps,
                      "median_ms": round(median, 3), "mean_ms": round(statistics.fmean(times), 3),
                      "cpu_ms": round(statistics.median(cpu_times), 3),
                      "tokens_per_s": round(layout.offsets[-1] / median * 1e3, 1)}))


if __name__ == "__main__":
    main()
