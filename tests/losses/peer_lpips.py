#!/usr/bin/env python3
"""Peer parity for LPIPS and Gram (lpips_parity_test.cpp): writes a random VGG16 trunk and the lpips
package's own linear heads as safetensors, loads the same weights into the PyPI `lpips` package,
and records its LPIPS value and input gradient on random and real images; also the Gram loss (reference.py) on the same real images.

  peer_lpips.py OUT_DIR          writes OUT_DIR/{vgg16,heads,parity}.safetensors

Real photos come from scripts/fetch_test_media.sh (python3-skimage, pinned by SHA-256); when they
cannot be fetched, only the random case is written and the reason is stored in OUT_DIR/real_skipped.
"""
import contextlib
import io
import os
import subprocess
import sys

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import export_lpips_heads  # noqa: E402
import export_vgg16  # noqa: E402
import reference as R  # noqa: E402

RANDOM_SIDE = 64  # random images (48x40) are enlarged to this
REAL_SIDE = 224   # SPEC: LPIPS and Gram on 224x224 resized images
CROP = 288        # real photos are centre-cropped to this, then shrunk to REAL_SIDE by the loss


@contextlib.contextmanager
def no_initialisation():
    """lpips builds a whole torchvision VGG16, classifier included (120M weights), only for us to
    overwrite the trunk: skip the random initialisation, which takes seconds."""
    names = ["kaiming_normal_", "kaiming_uniform_", "normal_", "uniform_", "constant_"]
    saved = {n: getattr(torch.nn.init, n) for n in names}
    for n in names:
        setattr(torch.nn.init, n, lambda tensor, *args, **kwargs: tensor)
    try:
        yield
    finally:
        for n, f in saved.items():
            setattr(torch.nn.init, n, f)


def lpips_with(trunk):
    import lpips
    with no_initialisation():
        model = lpips.LPIPS(net="vgg", pnet_rand=True, verbose=False)  # heads: the package's vgg.pth
    slices = [model.net.slice1, model.net.slice2, model.net.slice3, model.net.slice4, model.net.slice5]
    for (begin, end), piece in zip(R.VGG16_SLICES, slices):
        for i in range(begin, end):
            piece._modules[str(i)].load_state_dict(trunk[i].state_dict())
    return model.eval().requires_grad_(False)


def lpips_case(model, name, x32, y32, side, out):
    """The package's LPIPS and its input gradient; returns the VGG features its forward computed."""
    # lpips calls net.forward() directly, so hook the five slices it runs: x's outputs, then y's.
    features = []
    slices = [model.net.slice1, model.net.slice2, model.net.slice3, model.net.slice4, model.net.slice5]
    hooks = [m.register_forward_hook(lambda module, inputs, output: features.append(output)) for m in slices]
    x = x32.clone().requires_grad_(True)
    per_image = model(R.resize(x, side), R.resize(y32, side)).view(-1)
    for h in hooks:
        h.remove()
    (grad,) = torch.autograd.grad(per_image.mean(), x, retain_graph=True)
    out.update({f"{name}.x": x32, f"{name}.y": y32, f"{name}.lpips": per_image.detach(), f"{name}.lpips_grad_x": grad})
    return x, features[:5], features[5:]


def photo(path):
    image = Image.open(path).convert("RGB")
    w, h = image.size
    s = min(w, h, CROP)
    image = image.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)).resize((CROP, CROP), Image.BICUBIC)
    return image


def to_tensor(image):
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 127.5 - 1.0).permute(2, 0, 1)


def jpeg(image, quality):
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def real_pairs():
    """(astronaut, its JPEG at quality 10) and (coffee, chelsea): a distortion and two photos."""
    fetch = os.path.join(ROOT, "scripts", "fetch_test_media.sh")
    run = subprocess.run([fetch, "skimage"], capture_output=True, text=True)
    if run.returncode != 0:
        return None, f"cannot fetch python3-skimage photos: {run.stderr.strip()[-300:]}"
    media = run.stdout.strip()
    astronaut, coffee, chelsea = (photo(os.path.join(media, f)) for f in ("astronaut.png", "coffee.png", "chelsea.png"))
    x = torch.stack([to_tensor(astronaut), to_tensor(coffee)])
    y = torch.stack([to_tensor(jpeg(astronaut, 10)), to_tensor(chelsea)])
    return (x, y), None


def main():
    out_dir = sys.argv[1]
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    trunk = export_vgg16.randomize(export_vgg16.vgg16_trunk(), seed=5).eval().requires_grad_(False)
    heads = export_lpips_heads.heads_from_checkpoint(export_lpips_heads.packaged_heads_path())
    save_file(export_vgg16.trunk_state(trunk), os.path.join(out_dir, "vgg16.safetensors"))
    save_file(heads, os.path.join(out_dir, "heads.safetensors"))
    model = lpips_with(trunk)

    g = torch.Generator().manual_seed(99)
    out = {}
    x = torch.rand(2, 3, 48, 40, generator=g) * 2 - 1
    lpips_case(model, "random", x, (x + 0.3 * torch.randn(x.shape, generator=g)).clamp(-1, 1), RANDOM_SIDE, out)

    pair, why = real_pairs()
    if pair is None:
        with open(os.path.join(out_dir, "real_skipped"), "w") as f:
            f.write(why)
    else:
        x32, y32 = pair
        x, fx, fy = lpips_case(model, "real", x32, y32, REAL_SIDE, out)
        # Gram from the features of the package's own forward pass (no second VGG pass). Its gradient
        # is ill-conditioned in float32: Gram matrices are dominated by what all images share, so
        # G(x) - G(y) keeps few digits in any float32 evaluation (about 1% of the gradient against
        # float64 here). So the reference is the same float32 computation as Tetra's.
        gram = R.gram_stable_from_features(fx, [f.detach() for f in fy])
        (grad,) = torch.autograd.grad(gram.mean(), x)
        out.update({"real.gram": gram.detach(), "real.gram_grad_x": grad})
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(out_dir, "parity.safetensors"))
    print(f"wrote {len(out)} tensors to {out_dir}")


if __name__ == "__main__":
    main()
