// Evaluation metrics: reconstruction quality (PSNR, SSIM) and zero-shot retrieval (R@k).
#pragma once
#include <torch/types.h>

namespace tetra::trainer {

// a, b: [H, W, C] (or [T, H, W, C]) in [-1, 1]. PSNR over [0, 1] pixels: 10 log10(1 / MSE).
double psnr(const torch::Tensor& a, const torch::Tensor& b);

// SSIM of Wang et al. (2004) as scikit-image computes it with gaussian_weights=True: 11x11 Gaussian
// window with sigma 1.5, C1 = (0.01)^2, C2 = (0.03)^2 on [0, 1] pixels, population covariance,
// mean over the valid (unpadded) region and channels. a, b: [H, W, C] in [-1, 1]; H, W >= 11.
double ssim(const torch::Tensor& a, const torch::Tensor& b);

struct RetrievalScores {
  double text_to_visual_r1 = 0, text_to_visual_r5 = 0;
  double visual_to_text_r1 = 0, visual_to_text_r5 = 0;
};

// visual, text: [B, d] embeddings, row i of each describing the same sample. Cosine similarity;
// a query scores a hit at k when its pair ranks among the k most similar candidates.
RetrievalScores retrieval_recall(const torch::Tensor& visual, const torch::Tensor& text);

}  // namespace tetra::trainer
