"""Reference PSNR/SSIM from scikit-image on a real photo (skimage's astronaut) and a degraded copy.
Writes the two images as float64 [H, W, 3] in [-1, 1] to <out>/a.bin and <out>/b.bin and prints
'H W psnr ssim'."""
import sys

import numpy as np
from skimage import data
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

out = sys.argv[1]
a = data.astronaut()[100:196, 150:278].astype(np.float64) / 255.0  # 96 x 128 crop
rng = np.random.default_rng(0)
b = np.clip(a + rng.normal(0, 0.05, a.shape) + 0.02, 0, 1)
(a * 2 - 1).tofile(f"{out}/a.bin")
(b * 2 - 1).tofile(f"{out}/b.bin")
p = peak_signal_noise_ratio(a, b, data_range=1.0)
s = structural_similarity(a, b, data_range=1.0, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                          use_sample_covariance=False)
print(a.shape[0], a.shape[1], repr(float(p)), repr(float(s)))
