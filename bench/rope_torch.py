"""4D RoPE written with the PyTorch Python API: the baseline for bench/bench_rope.cpp.

Same math (kernels/rope.h) and shapes (N=4096 tokens, 12 heads, head_dim 64/72, fp32/bf16) as the
C++ benchmark, timed for 1 and 2 threads, so docs/benchmarks.md can record our kernel against
what one would write in Python.

    OMP_WAIT_POLICY=PASSIVE ~/.cache/tetra/venv/bin/python bench/rope_torch.py
"""
import argparse
import time

import torch

TOKENS, HEADS, BASE = 4096, 12, 10000.0


def rope4d(x: torch.Tensor, coords: torch.Tensor, base: float = BASE) -> torch.Tensor:
    n_tok, heads, h = x.shape
    n = h // 8
    pair = torch.arange(h // 2)
    axis, k = pair // n, pair % n
    freq = torch.pow(base, -k.double() / h).float()  # w_k = base^(-k/h), rounded once to fp32
    theta = coords[:, axis].float() * freq  # [N, h/2]
    cos, sin = theta.cos().unsqueeze(1), theta.sin().unsqueeze(1)
    xp = x.float().reshape(n_tok, heads, h // 2, 2)
    x0, x1 = xp[..., 0], xp[..., 1]
    out = torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), -1)
    return out.reshape(n_tok, heads, h).to(x.dtype)


def grid_coords() -> torch.Tensor:
    """The model's token order: (t, row, column, z = 0) over 4 frames of 32 x 32 patches."""
    t, row, col = torch.meshgrid(torch.arange(4), torch.arange(32), torch.arange(32), indexing="ij")
    return torch.stack((t, row, col, torch.zeros_like(t)), -1).reshape(TOKENS, 4).int()


def time_ms(fn, min_seconds: float, repeats: int) -> float:
    """Best over `repeats` of the mean time per call, each repeat running >= min_seconds.

    Best, not median, like bench_rope's ratio report: on a shared machine slow repeats measure the
    neighbours."""
    fn()  # warm-up: allocator and thread pool
    samples = []
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        samples.append(1e3 * elapsed / calls)
    return min(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--head-dims", type=int, nargs="+", default=[64, 72])
    parser.add_argument("--min-seconds", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    torch.manual_seed(0)
    print(f"torch {torch.__version__}, N={TOKENS} tokens, {HEADS} heads")
    print(f"{'head_dim':>8} {'dtype':>9} {'threads':>7} {'ms':>9} {'tokens/s':>12}")
    with torch.inference_mode():
        for threads in args.threads:
            torch.set_num_threads(threads)
            for head_dim in args.head_dims:
                for dtype in (torch.float32, torch.bfloat16):
                    x = torch.randn(TOKENS, HEADS, head_dim).to(dtype)
                    coords = grid_coords()
                    ms = time_ms(lambda: rope4d(x, coords), args.min_seconds, args.repeats)
                    name = str(dtype).removeprefix("torch.")
                    print(f"{head_dim:>8} {name:>9} {threads:>7} {ms:>9.3f} {TOKENS / ms * 1e3:>12.3e}")


if __name__ == "__main__":
    main()
