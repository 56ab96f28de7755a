// The semantic alignment losses of SPEC section 3: teacher distillation for images, the SigLIP
// sigmoid loss for video and 3D. Both compare each sample's pooled embedding with the text
// embeddings of the whole batch (text embeddings are precomputed by a frozen text encoder).
#pragma once
#include <torch/nn/module.h>
#include <torch/types.h>

namespace tetra::losses {

// KL(P_t || P_s) averaged over images, where row i of P = softmax_j(s_ij / temperature) over the
// in-batch texts j, and s_ij = scale * cos(image_i, text_j) for the teacher's and the student's
// image embeddings (same text embeddings for both). No tau^2 factor: SPEC's formula has none.
// Row blocks, as for SigLIP below: with `batch` > 0 the images are some of a batch of `batch` whose
// texts are all given, and the result is their rows' sum divided by `batch`.
torch::Tensor distillation_kl(const torch::Tensor& student, const torch::Tensor& teacher, const torch::Tensor& text,
                              double temperature, double scale, int64_t batch = 0);

// SigLIP (Zhai et al. 2023): logits_ij = exp(logit_scale) * <x_i, t_j> + logit_bias on L2-normalised
// embeddings, labels +1 on the diagonal and -1 elsewhere, loss = -sum_ij log sigmoid(label * logit) / B.
//
// Row blocks: `image` may be rows [first_row, first_row + b) of a batch of B = text.size(0) whose
// texts are all given. The result is then that block's share of the batch's loss (its rows' sum,
// still divided by B): the blocks' results add up to the whole loss, and, the texts being frozen
// constants, so do their gradients. Data-parallel ranks use this to see every rank's texts as
// negatives without gathering embeddings that carry gradients.
torch::Tensor siglip_loss(const torch::Tensor& image, const torch::Tensor& text, const torch::Tensor& logit_scale,
                          const torch::Tensor& logit_bias, int64_t first_row = 0);

struct SigLipLossOptions {
  double init_logit_scale = 2.302585092994046;  // log(10), open_clip's default
  double init_logit_bias = -10.0;
};

// siglip_loss with a trainable logit_scale and logit_bias: register this module with the optimizer
// and the checkpoint.
class SigLipLossImpl : public torch::nn::Module {
 public:
  explicit SigLipLossImpl(const SigLipLossOptions& options = {});
  torch::Tensor forward(const torch::Tensor& image, const torch::Tensor& text, int64_t first_row = 0);
  torch::Tensor logit_scale;  // [1], log of the multiplier
  torch::Tensor logit_bias;   // [1]
};
TORCH_MODULE(SigLipLoss);

}  // namespace tetra::losses
