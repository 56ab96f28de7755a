"""The losses of SPEC section 3 written with PyTorch's Python API, as the reference the C++ tests
compare against (make_golden.py, peer_parity.py). Deliberately literal: the formulas as stated,
layer slicing and normalisation as in the lpips package, no shared-feature shortcuts."""
import torch
import torch.nn.functional as F

# Where relu1_2, relu2_2, relu3_3, relu4_3 and relu5_3 end in torchvision's vgg16().features.
VGG16_SLICES = [(0, 4), (4, 9), (9, 16), (16, 23), (23, 30)]
LPIPS_SHIFT = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
LPIPS_SCALE = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)


def resize(images, side):
    if images.shape[-2:] == (side, side):
        return images
    return F.interpolate(images, size=(side, side), mode="bilinear", align_corners=False, antialias=True)


def vgg_features(trunk, images):
    """trunk: torch.nn.Sequential numbered like vgg16().features; images already scaled."""
    out, h = [], images
    for begin, end in VGG16_SLICES:
        for i in range(begin, end):
            h = trunk[i](h)
        out.append(h)
    return out


def lpips_per_image(trunk, heads, x, y):
    """heads: list of [1, C, 1, 1] weights. As lpips.LPIPS.forward (version 0.1, spatial=False)."""
    scale = lambda t: (t - LPIPS_SHIFT.to(t)) / LPIPS_SCALE.to(t)
    fx, fy = vgg_features(trunk, scale(x)), vgg_features(trunk, scale(y))
    total = 0
    for a, b, w in zip(fx, fy, heads):
        na = a / (torch.sqrt(torch.sum(a ** 2, dim=1, keepdim=True)) + 1e-10)
        nb = b / (torch.sqrt(torch.sum(b ** 2, dim=1, keepdim=True)) + 1e-10)
        total = total + F.conv2d((na - nb) ** 2, w.to(a)).mean([2, 3])
    return total.view(-1)


def gram(f):
    b, c, h, w = f.shape
    f = f.reshape(b, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def gram_per_image(trunk, x, y):
    scale = lambda t: (t - LPIPS_SHIFT.to(t)) / LPIPS_SCALE.to(t)
    fx, fy = vgg_features(trunk, scale(x)), vgg_features(trunk, scale(y))
    return sum(((gram(a) - gram(b)) ** 2).mean([1, 2]) for a, b in zip(fx, fy))


def cosine_distance(a, b):
    """1 - cos(a, b), written as |a/|a| - b/|b||^2 / 2: equal, but free of the cancellation that
    leaves 1 - cos with few float32 digits when cos is near 1 (make_golden.py checks the identity)."""
    return 0.5 * ((F.normalize(a, dim=1) - F.normalize(b, dim=1)) ** 2).sum(1)


def gram_per_image_stable(trunk, x, y):
    """The same loss with G(x) - G(y) written as (D Fx^T + Fy D^T) / (C H W), D = Fx - Fy, which is
    how Tetra computes it. Equal to gram_per_image (make_golden.py checks it in float64)."""
    scale = lambda t: (t - LPIPS_SHIFT.to(t)) / LPIPS_SCALE.to(t)
    return gram_stable_from_features(vgg_features(trunk, scale(x)), vgg_features(trunk, scale(y)))


def gram_stable_from_features(x_features, y_features):
    total = 0
    for a, b in zip(x_features, y_features):
        n, c, h, w = a.shape
        fa, fb = a.reshape(n, c, h * w), b.reshape(n, c, h * w)
        d = fa - fb
        total = total + (((d @ fa.transpose(1, 2) + fb @ d.transpose(1, 2)) / (c * h * w)) ** 2).mean([1, 2])
    return total


def clip_distance(encoder, x, y):
    with torch.no_grad():
        ey = encoder(y)
    return cosine_distance(encoder(x), ey).mean()


def distillation_kl(student, teacher, text, temperature, scale):
    t = F.normalize(text, dim=1)
    s_student = scale * F.normalize(student, dim=1) @ t.T
    s_teacher = scale * F.normalize(teacher, dim=1) @ t.T
    return F.kl_div(F.log_softmax(s_student / temperature, dim=1), F.log_softmax(s_teacher / temperature, dim=1),
                    reduction="batchmean", log_target=True)


def siglip(image, text, logit_scale, logit_bias):
    image, text = F.normalize(image, dim=1), F.normalize(text, dim=1)
    logits = logit_scale.exp() * image @ text.T + logit_bias
    labels = 2 * torch.eye(image.shape[0], dtype=image.dtype) - 1
    return -F.logsigmoid(labels * logits).sum() / image.shape[0]


def kl_mean(mean, logvar):
    return (0.5 * (mean ** 2 + logvar.exp() - 1 - logvar).sum(-1)).mean()
