#include "losses/semantic.h"

#include <torch/torch.h>

namespace tetra::losses {
namespace {

torch::Tensor unit_rows(const torch::Tensor& x) {
  return torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-12));
}

void check_pair(const torch::Tensor& image, const torch::Tensor& text, const char* what) {
  TORCH_CHECK(image.dim() == 2 && text.dim() == 2 && image.size(0) == text.size(0) && image.size(1) == text.size(1), what,
              ": image embeddings ", image.sizes(), " and text embeddings ", text.sizes(),
              " must both be [B, D] with the same B and D");
}

}  // namespace

torch::Tensor distillation_kl(const torch::Tensor& student, const torch::Tensor& teacher, const torch::Tensor& text,
                              double temperature, double scale, int64_t batch) {
  if (batch == 0) {
    check_pair(student, text, "distillation_kl (student)");
    check_pair(teacher, text, "distillation_kl (teacher)");
  }
  TORCH_CHECK(student.dim() == 2 && teacher.sizes() == student.sizes() && text.dim() == 2 &&
                  text.size(1) == student.size(1) && (batch == 0 || student.size(0) <= batch),
              "distillation_kl: student ", student.sizes(), ", teacher ", teacher.sizes(), " and text ", text.sizes(),
              " embeddings must be [b, D], [b, D] and [B, D] with b <= B = ", batch);
  auto t = unit_rows(text);
  auto log_p_student = (scale / temperature * unit_rows(student).matmul(t.t())).log_softmax(1);
  auto log_p_teacher = (scale / temperature * unit_rows(teacher).matmul(t.t())).log_softmax(1);
  // sum_j p_t (log p_t - log p_s), averaged over the batch ("batchmean" in torch's kl_div).
  auto per_image = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(1);
  return batch == 0 ? per_image.mean() : per_image.sum() / static_cast<double>(batch);
}

SigLipLossImpl::SigLipLossImpl(const SigLipLossOptions& options) {
  logit_scale = register_parameter("logit_scale", torch::full({1}, options.init_logit_scale));
  logit_bias = register_parameter("logit_bias", torch::full({1}, options.init_logit_bias));
}

torch::Tensor SigLipLossImpl::forward(const torch::Tensor& image, const torch::Tensor& text, int64_t first_row) {
  return siglip_loss(image, text, logit_scale, logit_bias, first_row);
}

torch::Tensor siglip_loss(const torch::Tensor& image, const torch::Tensor& text, const torch::Tensor& logit_scale,
                          const torch::Tensor& logit_bias, int64_t first_row) {
  const int64_t b = image.size(0), batch = text.size(0);
  if (first_row == 0 && b == batch) check_pair(image, text, "siglip_loss");
  TORCH_CHECK(image.dim() == 2 && text.dim() == 2 && image.size(1) == text.size(1) && first_row >= 0 &&
                  first_row + b <= batch,
              "siglip_loss: image rows [", first_row, ", ", first_row + b, ") of ", image.sizes(),
              " must lie within the ", batch, " texts of ", text.sizes(), " (same width)");
  auto logits = logit_scale.exp() * unit_rows(image).matmul(unit_rows(text).t()) + logit_bias;
  // labels: +1 where row i meets its own text (column first_row + i), -1 elsewhere
  auto labels = -torch::ones_like(logits);
  labels.diagonal(first_row).fill_(1.0);
  return -torch::log_sigmoid(labels * logits).sum() / static_cast<double>(batch);
}

}  // namespace tetra::losses
